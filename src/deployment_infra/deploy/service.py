"""Where an environment's service lives in AWS, by the names the Terraform roots give it.

The roots name the ECS cluster, service and task family "<project>-<env>-<service>" (module "service" in
terraform/environments/<env>/main.tf) and keep deploy state under the SSM path "/<project>/<env>". Deriving
the names here, instead of reading Terraform outputs, keeps deploys and rollbacks free of Terraform runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deployment_infra.errors import UsageError
from deployment_infra.settings import Settings

DEFAULT_SERVICE = "api"
CONTAINER_NAME = "app"  # the container every task definition of the ecs module runs
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{1,9}\Z")  # the roots' var.service_name validation


@dataclass(frozen=True)
class ServiceRef:
    """One environment's containerised service."""

    project: str
    environment: str
    service: str
    region: str

    @classmethod
    def of(cls, settings: Settings, env: str, service: str = DEFAULT_SERVICE) -> ServiceRef:
        """The service of environment `env` (UsageError for an unknown environment or a bad name)."""
        environment = settings.environment(env)
        if not _SERVICE_NAME.match(service):
            raise UsageError(f"service name {service!r} must be 2-10 characters of a-z, 0-9 and '-'")
        return cls(settings.project, environment.name, service, environment.region)

    @property
    def name(self) -> str:
        """The ECS cluster, service and task definition family name."""
        return f"{self.project}-{self.environment}-{self.service}"

    @property
    def cluster(self) -> str:
        return self.name

    @property
    def family(self) -> str:
        return self.name

    @property
    def parameter_prefix(self) -> str:
        """SSM path of this environment's deploy state: releases, configuration, integration records."""
        return f"/{self.project}/{self.environment}"

    @property
    def release_parameter(self) -> str:
        """The parameter the ecs module creates, holding the currently deployed release."""
        return f"{self.parameter_prefix}/{self.name}/release"

    @property
    def secret_prefix(self) -> str:
        """Secrets Manager name prefix of the environment (module "secrets"): "/<project>/<env>"."""
        return f"/{self.project}/{self.environment}"
