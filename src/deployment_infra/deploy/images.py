"""Image references as deploys take them: "<repository>:<tag>", the tag being the release's version."""

from __future__ import annotations

import re
from dataclasses import dataclass

from deployment_infra.errors import UsageError

# Docker's grammar, simplified: lower-case repository path (optionally with a registry host:port),
# and a tag of 1-128 characters of [A-Za-z0-9_.-] not starting with '.' or '-'.
_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]{1,5})?(/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*\Z")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")


def check_tag(tag: str, what: str = "tag") -> str:
    """`tag` if it is an image tag (a release's version), else UsageError naming `what`."""
    if not _TAG.fullmatch(tag):
        raise UsageError(f"{what} {tag[:80]!r} must be 1-128 of A-Z a-z 0-9 _ . - (not starting . or -)")
    return tag


@dataclass(frozen=True)
class Image:
    repository: str
    tag: str

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"

    @classmethod
    def parse(cls, text: str) -> Image:
        """`text` as an image, or UsageError saying what is wrong with it."""
        if len(text) > 512 or not text.isprintable():
            raise UsageError("image reference is too long or holds unprintable characters")
        if "@" in text:
            raise UsageError(
                f"image {text!r}: deploy by tag (<repository>:<tag>); the tag is the release's version"
            )
        repository, sep, tag = text.rpartition(":")
        if not sep or "/" in tag:
            raise UsageError(
                f"image {text!r} has no tag: give <repository>:<tag>, e.g. ngapp-dev/api:3f2a9c1"
            )
        if not _REPOSITORY.match(repository):
            raise UsageError(
                f"image {text!r}: repository {repository!r} is not a valid lower-case image name"
            )
        if not _TAG.match(tag):
            raise UsageError(
                f"image {text!r}: tag {tag!r} must be 1-128 of A-Z a-z 0-9 _ . - (not starting . or -)"
            )
        return cls(repository, tag)
