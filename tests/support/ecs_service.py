"""An environment's ECS service created directly on an emulator (what `infra up` would leave), and a
stand-in of the reference service for tests that deploy hundreds of times.

Creating the cluster, task definition and service with boto3 takes milliseconds; `infra up` takes
minutes. The names are the ones the Terraform roots give (deploy/service.py).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from deployment_infra.deploy.ecs import container_environment
from deployment_infra.deploy.service import ServiceRef

BOOTSTRAP_IMAGE = "ngapp/api:bootstrap"
LOG_LEVELS = ("debug", "info", "warn", "error")


def create_service(
    ecs: Any, ref: ServiceRef, *, desired: int = 2, environment: Mapping[str, str] | None = None
) -> str:
    """The cluster, first task definition revision and service of `ref`; returns the revision's ARN."""
    ecs.create_cluster(clusterName=ref.cluster)
    arn = ecs.register_task_definition(
        family=ref.family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        executionRoleArn="arn:aws:iam::123456789012:role/ecs-execution",
        containerDefinitions=[
            {
                "name": "app",
                "image": BOOTSTRAP_IMAGE,
                "essential": True,
                "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
                "environment": [{"name": k, "value": v} for k, v in sorted((environment or {}).items())],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=ref.cluster,
        serviceName=ref.name,
        taskDefinition=arn,
        desiredCount=desired,
        launchType="FARGATE",
        deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        },
    )
    return str(arn)


def running_task_definition(ecs: Any, ref: ServiceRef) -> str:
    return str(
        ecs.describe_services(cluster=ref.cluster, services=[ref.name])["services"][0]["taskDefinition"]
    )


class _Handler(BaseHTTPRequestHandler):
    version = "dev"

    def do_GET(self) -> None:
        routes = {
            "/health": (200, {"status": "ok"}),
            "/version": (200, {"version": self.version}),
        }
        status, body = routes.get(self.path, (404, {"error": "not found"}))
        if self.path == "/metrics":
            status, text = 200, f'app_build_info{{version="{self.version}"}} 1\n'
            data = text.encode()
        else:
            data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ThreadRuntime:
    """Behaves like the reference service under the local runtime, in threads: a revision whose
    LOG_LEVEL the service would reject never listens (the service exits 2 at start)."""

    def __init__(self) -> None:
        self.servers: dict[str, tuple[str, ThreadingHTTPServer | None, str]] = {}

    def endpoint(self, ref: ServiceRef, task_definition: Mapping[str, Any]) -> str:
        arn = str(task_definition["taskDefinitionArn"])
        current = self.servers.get(ref.name)
        if current is not None and current[0] == arn:
            return current[2]
        self.stop(ref)
        env = container_environment(task_definition)
        if env.get("LOG_LEVEL", "info") not in LOG_LEVELS:
            self.servers[ref.name] = (arn, None, "http://127.0.0.1:9")  # nothing listens: refused
            return "http://127.0.0.1:9"
        handler = type("Handler", (_Handler,), {"version": env.get("APP_VERSION", "dev")})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        self.servers[ref.name] = (arn, server, url)
        return url

    def version(self, ref: ServiceRef) -> str | None:
        """The version the instance of `ref` answers with, None when it is not listening."""
        current = self.servers.get(ref.name)
        if current is None or current[1] is None:
            return None
        return str(current[1].RequestHandlerClass.version)  # type: ignore[attr-defined]

    def stop(self, ref: ServiceRef) -> None:
        self._stop(ref.name)

    def _stop(self, name: str) -> None:
        current = self.servers.pop(name, None)
        if current is not None and current[1] is not None:
            current[1].shutdown()
            current[1].server_close()

    def close(self) -> None:
        for name in list(self.servers):
            self._stop(name)
