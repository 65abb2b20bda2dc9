"""CloudFront shims for moto: cache, origin request and response headers policies; distribution fields.

Registered with `deployment_infra.emulator_shims.shim`; `apply_all()` imports this module. Each shim is a
row in docs/emulator.md and has a test in tests/unit/test_emulator_shims_cloudfront.py.
"""

from __future__ import annotations

import copy
import datetime
import secrets
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployment_infra.emulator_shims import shim

API = "2020-05-31"


def new_id(length: int = 14) -> str:
    """An id in CloudFront's style: upper-case letters and digits, starting with a letter."""
    alphabet = string.ascii_uppercase + string.digits
    return secrets.choice(string.ascii_uppercase) + "".join(
        secrets.choice(alphabet) for _ in range(length - 1)
    )


# -- cloudfront-policies -----------------------------------------------------------------------
# AWS: Create/Get/GetConfig/Update/Delete/List for cache policies, origin request policies and
# response headers policies (ETag + If-Match, unique names, "custom" in listings). moto 5 has
# none of them: every call was a 404, so no distribution using a policy could be created.


@dataclass(frozen=True)
class PolicyKind:
    """One of CloudFront's three policy resources, named as the API names them."""

    shape: str  # "CachePolicy"
    path: str  # "cache-policy"
    plural: str  # "cache_policies" (ListCachePolicies)
    not_found: str
    already_exists: str

    @property
    def snake(self) -> str:
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in self.shape).lstrip("_")


POLICY_KINDS: tuple[PolicyKind, ...] = (
    PolicyKind(
        "CachePolicy", "cache-policy", "cache_policies", "NoSuchCachePolicy", "CachePolicyAlreadyExists"
    ),
    PolicyKind(
        "OriginRequestPolicy",
        "origin-request-policy",
        "origin_request_policies",
        "NoSuchOriginRequestPolicy",
        "OriginRequestPolicyAlreadyExists",
    ),
    PolicyKind(
        "ResponseHeadersPolicy",
        "response-headers-policy",
        "response_headers_policies",
        "NoSuchResponseHeadersPolicy",
        "ResponseHeadersPolicyAlreadyExists",
    ),
)


# AWS-managed policies exist in every account under fixed ids. Modelled: the one the project uses
# (Managed-CachingDisabled, for API behaviours: every TTL 0, nothing in the cache key).
MANAGED_POLICIES: dict[str, dict[str, dict[str, Any]]] = {
    "CachePolicy": {
        "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": {
            "Name": "Managed-CachingDisabled",
            "Comment": "Policy with caching disabled",
            "MinTTL": 0,
            "DefaultTTL": 0,
            "MaxTTL": 0,
            "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": False,
                "EnableAcceptEncodingBrotli": False,
                "HeadersConfig": {"HeaderBehavior": "none"},
                "CookiesConfig": {"CookieBehavior": "none"},
                "QueryStringsConfig": {"QueryStringBehavior": "none"},
            },
        }
    }
}


class PolicyStore:
    """The policies of one kind in one account: what the shimmed operations read and write."""

    def __init__(self, kind: PolicyKind) -> None:
        self.kind = kind
        self.items: dict[str, dict[str, Any]] = {}
        self.managed: dict[str, dict[str, Any]] = {
            policy_id: {
                "Id": policy_id,
                "Config": copy.deepcopy(config),
                "ETag": new_id(),
                "LastModifiedTime": datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
            }
            for policy_id, config in MANAGED_POLICIES.get(kind.shape, {}).items()
        }

    def _error(self, code: str, message: str) -> Exception:
        from moto.cloudfront.exceptions import CloudFrontException

        return CloudFrontException(code, message)

    def get(self, policy_id: str) -> dict[str, Any]:
        if policy_id in self.managed:
            return self.managed[policy_id]
        if policy_id not in self.items:
            raise self._error(
                self.kind.not_found, f"The specified {self.kind.path.replace('-', ' ')} does not exist."
            )
        return self.items[policy_id]

    def _check_name(self, config: Mapping[str, Any], except_id: str | None = None) -> None:
        for policy_id, item in self.items.items():
            if policy_id != except_id and item["Config"].get("Name") == config.get("Name"):
                raise self._error(
                    self.kind.already_exists, f"A policy named {config.get('Name')} already exists."
                )

    def _check_etag(self, item: Mapping[str, Any], if_match: str | None) -> None:
        if not if_match:
            raise self._error(
                "InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource."
            )
        if if_match != item["ETag"]:
            raise self._error(
                "PreconditionFailed", "The If-Match version does not match the resource's ETag."
            )

    def create(self, config: Mapping[str, Any]) -> dict[str, Any]:
        self._check_name(config)
        policy_id = str(uuid.uuid4())  # AWS policy ids are UUIDs
        item = {
            "Id": policy_id,
            "Config": copy.deepcopy(dict(config)),
            "ETag": new_id(),
            "LastModifiedTime": _now(),
        }
        self.items[policy_id] = item
        return item

    def _check_custom(self, policy_id: str) -> None:
        if policy_id in self.managed:
            raise self._error("IllegalUpdate", "Managed policies can not be updated or deleted.")

    def update(self, policy_id: str, config: Mapping[str, Any], if_match: str | None) -> dict[str, Any]:
        self._check_custom(policy_id)
        item = self.get(policy_id)
        self._check_etag(item, if_match)
        self._check_name(config, except_id=policy_id)
        item.update(Config=copy.deepcopy(dict(config)), ETag=new_id(), LastModifiedTime=_now())
        return item

    def delete(self, policy_id: str, if_match: str | None) -> None:
        self._check_custom(policy_id)
        self._check_etag(self.get(policy_id), if_match)
        del self.items[policy_id]

    def resource(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """The policy as Get/Create/Update return it: Id, LastModifiedTime and <Kind>Config."""
        return {
            "Id": item["Id"],
            "LastModifiedTime": item["LastModifiedTime"],
            f"{self.kind.shape}Config": item["Config"],
        }

    def listing(self, policy_type: str | None, max_items: int | None) -> dict[str, Any]:
        kinds = {"managed": ("managed",), "custom": ("custom",)}.get(policy_type or "", ("managed", "custom"))
        summaries = [
            {"Type": kind, self.kind.shape: self.resource(item)}
            for kind in kinds
            for item in (self.managed if kind == "managed" else self.items).values()
        ]
        return {"MaxItems": max_items or 100, "Quantity": len(summaries), "Items": summaries}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def policy_store(backend: Any, kind: PolicyKind) -> PolicyStore:
    """The backend's store for `kind`, created on first use (moto's reset drops it with the backend)."""
    stores: dict[str, PolicyStore] | None = getattr(backend, "infra_policy_stores", None)
    if stores is None:
        stores = {}
        backend.infra_policy_stores = stores
    return stores.setdefault(kind.shape, PolicyStore(kind))


def _policy_operations(kind: PolicyKind) -> dict[str, Any]:
    """The CloudFrontResponse methods for one policy kind."""
    from moto.core.responses import ActionResult, EmptyResult

    shape, snake = kind.shape, kind.snake

    def store(self: Any) -> PolicyStore:
        return policy_store(self.backend, kind)

    def create(self: Any) -> Any:
        s = store(self)
        item = s.create(self._get_param(f"{shape}Config", {}))
        location = f"https://cloudfront.amazonaws.com/{API}/{kind.path}/{item['Id']}"
        return ActionResult({shape: s.resource(item), "Location": location, "ETag": item["ETag"]})

    def get(self: Any) -> Any:
        s = store(self)
        item = s.get(self._get_param("Id"))
        return ActionResult({shape: s.resource(item), "ETag": item["ETag"]})

    def get_config(self: Any) -> Any:
        item = store(self).get(self._get_param("Id"))
        return ActionResult({f"{shape}Config": item["Config"], "ETag": item["ETag"]})

    def update(self: Any) -> Any:
        s = store(self)
        item = s.update(
            self._get_param("Id"), self._get_param(f"{shape}Config", {}), self._get_param("IfMatch")
        )
        return ActionResult({shape: s.resource(item), "ETag": item["ETag"]})

    def delete(self: Any) -> Any:
        store(self).delete(self._get_param("Id"), self._get_param("IfMatch"))
        return EmptyResult()

    def listing(self: Any) -> Any:
        result = store(self).listing(self._get_param("Type"), self._get_int_param("MaxItems"))
        return ActionResult({f"{shape}List": result})

    return {
        f"create_{snake}": create,
        f"get_{snake}": get,
        f"get_{snake}_config": get_config,
        f"update_{snake}": update,
        f"delete_{snake}": delete,
        f"list_{kind.plural}": listing,
    }


@shim("cloudfront-policies")
def _cloudfront_policies() -> None:
    from moto.cloudfront import urls
    from moto.cloudfront.responses import CloudFrontResponse

    for kind in POLICY_KINDS:
        urls.url_paths[f"{{0}}/{API}/{kind.path}$"] = CloudFrontResponse.dispatch
        urls.url_paths[f"{{0}}/{API}/{kind.path}/(?P<Id>[^/]+)$"] = CloudFrontResponse.dispatch
        urls.url_paths[f"{{0}}/{API}/{kind.path}/(?P<Id>[^/]+)/config$"] = CloudFrontResponse.dispatch
        for name, method in _policy_operations(kind).items():
            setattr(CloudFrontResponse, name, method)


# -- cloudfront-distribution-fields ------------------------------------------------------------
# AWS: a distribution keeps each origin's OriginAccessControlId; a cache behaviour with a
# CachePolicyId has no ForwardedValues (nor legacy TTLs) unless they were sent; a viewer
# certificate from ACM or IAM is not the CloudFront default certificate and reports its source,
# and the default certificate has no SSLSupportMethod. moto 5 dropped the OAC id, always invented
# ForwardedValues, reported CloudFrontDefaultCertificate=true with an ACM certificate and
# "sni-only" with the default one: a perpetual diff on every distribution.


def viewer_certificate_fields(config: Mapping[str, Any]) -> dict[str, Any]:
    """The ViewerCertificate attributes AWS reports for a request's ViewerCertificate `config`."""
    acm, iam = config.get("ACMCertificateArn") or "", config.get("IAMCertificateId") or ""
    default = not (acm or iam)
    return {
        "cloud_front_default_certificate": default,
        "certificate_source": "acm" if acm else "iam" if iam else "cloudfront",
        "ssl_support_method": config.get("SSLSupportMethod") or (None if default else "sni-only"),
        "minimum_protocol_version": config.get("MinimumProtocolVersion") or "TLSv1",
    }


def behaviour_fields(config: Mapping[str, Any]) -> dict[str, Any]:
    """The legacy cache settings a behaviour keeps: only those sent when it uses a cache policy."""
    if not config.get("CachePolicyId"):
        return {}
    fields: dict[str, Any] = {"forwarded_values": None}
    for key, attribute in (("MinTTL", "min_ttl"), ("DefaultTTL", "default_ttl"), ("MaxTTL", "max_ttl")):
        if config.get(key) is None:
            fields[attribute] = None
    return fields


@shim("cloudfront-distribution-fields")
def _cloudfront_distribution_fields() -> None:
    from moto.cloudfront import models

    original_origin = models.Origin.__init__
    original_behaviour = models.DefaultCacheBehaviour.__init__
    original_certificate = models.ViewerCertificate.__init__

    def origin_init(self: Any, origin: dict[str, Any]) -> None:
        original_origin(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""

    def behaviour_init(self: Any, config: dict[str, Any]) -> None:
        original_behaviour(self, config)
        for attribute, value in behaviour_fields(config).items():
            setattr(self, attribute, value)

    def certificate_init(self: Any, config: dict[str, Any]) -> None:
        original_certificate(self, config)
        for attribute, value in viewer_certificate_fields(config).items():
            setattr(self, attribute, value)

    origin_cls: Any = models.Origin
    origin_cls.__init__ = origin_init
    behaviour_cls: Any = models.DefaultCacheBehaviour
    behaviour_cls.__init__ = behaviour_init
    certificate_cls: Any = models.ViewerCertificate
    certificate_cls.__init__ = certificate_init
