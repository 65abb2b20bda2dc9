"""What exists in one region of an account, with its tags: the residency scan's inventory.

The Resource Groups Tagging API finds everything tagged; the per-service listers below also find
what it misses (untagged data stores, services it does not cover) and read where a resource sits
more precisely (its availability zone). Each lister raises botocore errors; the scan turns them
into "not scanned" entries. What AWS creates by itself in every region (default VPCs, AWS managed
KMS keys, empty automatic backup vaults, the member nodes of a cache replication group, which are
judged through their group) is marked ignored: it is neither judged nor taken from the tagging API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

Tags = Mapping[str, str]
# Backup creates these itself (the console's "Default", EFS automatic backups); judged only when
# they hold recovery points.
AWS_CREATED_VAULTS = frozenset({"Default", "aws/efs/automatic-backup-vault"})


@dataclass(frozen=True)
class Item:
    """One resource found in a region. `tags` is None when they could not be read."""

    region: str
    service: str
    arn: str
    tags: Tags | None
    zone: str | None = None  # the availability/Local Zone it sits in, when the API tells
    tags_error: str | None = None


@dataclass
class RegionContext:
    """What a lister needs: the region, the account, clients, and the tags already known."""

    region: str
    account: str
    client: Callable[[str], Any]  # service name -> a boto3 client in this region
    known_tags: Mapping[str, Tags] = field(default_factory=dict)  # arn_key -> tags (tagging API)
    ignored: set[str] = field(default_factory=set)  # arn_keys of what AWS created by itself

    def ignore(self, arn: str) -> None:
        self.ignored.add(arn_key(arn))

    def arn(self, service: str, resource: str, *, account: bool = True) -> str:
        owner = self.account if account else ""
        return f"arn:{partition(self.region)}:{service}:{self.region}:{owner}:{resource}"

    def item(self, service: str, arn: str, tags: Tags | Callable[[], Tags], zone: str | None = None) -> Item:
        """An Item; `tags` may be a call that reads them, made only if the tagging API did not."""
        arn = normalise_arn(arn)
        if not callable(tags):
            return Item(self.region, service, arn, dict(tags), zone)
        known = self.known_tags.get(arn_key(arn))
        if known is not None:
            return Item(self.region, service, arn, dict(known), zone)
        try:
            return Item(self.region, service, arn, dict(tags()), zone)
        except (ClientError, BotoCoreError) as exc:
            return Item(self.region, service, arn, None, zone, tags_error=error_text(exc))


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def normalise_arn(arn: str) -> str:
    """Log group ARNs come with and without a trailing ":*"; the tagging API has none."""
    return arn.removesuffix(":*")


def arn_key(arn: str) -> str:
    """An ARN without its account field: one resource as the tagging API and a lister name it
    (EC2 snapshot ARNs have no account in IAM's format, one in the tagging API's)."""
    parts = normalise_arn(arn).split(":", 5)
    if len(parts) == 6:
        parts[4] = ""
    return ":".join(parts)


def arn_region(arn: str) -> str:
    """The region field of an ARN ("" for global services such as IAM, CloudFront, S3)."""
    parts = arn.split(":", 5)
    return parts[3] if len(parts) == 6 else ""


def arn_service(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[2] if len(parts) == 6 else "unknown"


def error_text(exc: Exception) -> str:
    """One line: the AWS error code and message, or botocore's description."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code, message = err.get("Code", "Error"), err.get("Message", "")
        return f"{code}: {message}".strip().rstrip(":") if message else str(code)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    """Every element of `key` over all pages of `operation`."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**params):
            yield from page.get(key) or []
    else:
        yield from getattr(client, operation)(**params).get(key) or []


def kv(tags: Iterable[Mapping[str, str]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {t[key]: t.get(value, "") for t in tags or []}


def tagged_resources(ctx: RegionContext) -> dict[str, dict[str, str]]:
    """ARN -> tags of everything the Resource Groups Tagging API knows in this region."""
    tagging = ctx.client("resourcegroupstaggingapi")
    return {
        normalise_arn(m["ResourceARN"]): kv(m.get("Tags"))
        for m in pages(tagging, "get_resources", "ResourceTagMappingList")
    }


# -- per-service listers -------------------------------------------------------------------------


def tag_reader(
    client: Any, operation: str, key: str, names: tuple[str, str] | None = ("Key", "Value"), **params: Any
) -> Callable[[], Tags]:
    """A call reading one resource's tags: `key` of the answer, name/value pairs (`names`) or a map."""

    def read() -> Tags:
        if names is None:
            return dict(getattr(client, operation)(**params).get(key) or {})
        return kv(pages(client, operation, key, **params), *names)

    return read


def dynamodb_tables(ctx: RegionContext) -> list[Item]:
    ddb = ctx.client("dynamodb")
    arns = [ctx.arn("dynamodb", f"table/{name}") for name in pages(ddb, "list_tables", "TableNames")]
    return [
        ctx.item("dynamodb", a, tag_reader(ddb, "list_tags_of_resource", "Tags", ResourceArn=a)) for a in arns
    ]


def rds_resources(ctx: RegionContext) -> list[Item]:
    rds = ctx.client("rds")
    result = [
        ctx.item("rds", i["DBInstanceArn"], kv(i.get("TagList")), zone=i.get("AvailabilityZone"))
        for i in pages(rds, "describe_db_instances", "DBInstances")
    ]
    result += [
        ctx.item("rds", c["DBClusterArn"], kv(c.get("TagList")))
        for c in pages(rds, "describe_db_clusters", "DBClusters")
    ]
    return result


def rds_snapshots(ctx: RegionContext) -> list[Item]:
    rds = ctx.client("rds")
    result = [
        ctx.item("rds", s["DBSnapshotArn"], kv(s.get("TagList")))
        for s in pages(rds, "describe_db_snapshots", "DBSnapshots")
    ]
    result += [
        ctx.item("rds", s["DBClusterSnapshotArn"], kv(s.get("TagList")))
        for s in pages(rds, "describe_db_cluster_snapshots", "DBClusterSnapshots")
    ]
    return result


def elasticache_resources(ctx: RegionContext) -> list[Item]:
    ec = ctx.client("elasticache")

    def item(arn: str, zone: str | None = None) -> Item:
        tags = tag_reader(ec, "list_tags_for_resource", "TagList", ResourceName=arn)
        return ctx.item("elasticache", arn, tags, zone=zone)

    result = [item(g["ARN"]) for g in pages(ec, "describe_replication_groups", "ReplicationGroups")]
    for c in pages(ec, "describe_cache_clusters", "CacheClusters"):
        if c.get("ReplicationGroupId"):
            ctx.ignore(c["ARN"])  # a member node: its group is judged
        else:
            result.append(item(c["ARN"], c.get("PreferredAvailabilityZone")))
    result += [item(s["ARN"]) for s in pages(ec, "describe_snapshots", "Snapshots")]
    return result


def efs_file_systems(ctx: RegionContext) -> list[Item]:
    efs = ctx.client("efs")
    return [
        ctx.item("efs", f["FileSystemArn"], kv(f.get("Tags")), zone=f.get("AvailabilityZoneName"))
        for f in pages(efs, "describe_file_systems", "FileSystems")
    ]


def secrets(ctx: RegionContext) -> list[Item]:
    sm = ctx.client("secretsmanager")
    return [
        ctx.item("secretsmanager", s["ARN"], kv(s.get("Tags")))
        for s in pages(sm, "list_secrets", "SecretList")
    ]


def log_groups(ctx: RegionContext) -> list[Item]:
    logs = ctx.client("logs")
    result = []
    for g in pages(logs, "describe_log_groups", "logGroups"):
        arn = normalise_arn(g.get("logGroupArn") or g["arn"])
        tags = tag_reader(logs, "list_tags_for_resource", "tags", None, resourceArn=arn)
        result.append(ctx.item("logs", arn, tags))
    return result


def backup_vaults(ctx: RegionContext) -> list[Item]:
    backup = ctx.client("backup")
    result = []
    for v in pages(backup, "list_backup_vaults", "BackupVaultList"):
        arn = v["BackupVaultArn"]
        if v["BackupVaultName"] in AWS_CREATED_VAULTS and not v.get("NumberOfRecoveryPoints"):
            ctx.ignore(arn)
        else:
            result.append(
                ctx.item("backup", arn, tag_reader(backup, "list_tags", "Tags", None, ResourceArn=arn))
            )
    return result


def kms_keys(ctx: RegionContext) -> list[Item]:
    kms = ctx.client("kms")
    result = []
    for key in pages(kms, "list_keys", "Keys"):
        if kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"].get("KeyManager") == "AWS":
            ctx.ignore(key["KeyArn"])  # aws/* keys: AWS creates and owns them
            continue
        tags = tag_reader(kms, "list_resource_tags", "Tags", ("TagKey", "TagValue"), KeyId=key["KeyId"])
        result.append(ctx.item("kms", key["KeyArn"], tags))
    return result


def sqs_queues(ctx: RegionContext) -> list[Item]:
    sqs = ctx.client("sqs")
    result = []
    for url in pages(sqs, "list_queues", "QueueUrls"):
        arn = ctx.arn("sqs", url.rstrip("/").rsplit("/", 1)[-1])
        result.append(ctx.item("sqs", arn, tag_reader(sqs, "list_queue_tags", "Tags", None, QueueUrl=url)))
    return result


def sns_topics(ctx: RegionContext) -> list[Item]:
    sns = ctx.client("sns")
    return [
        ctx.item(
            "sns", t["TopicArn"], tag_reader(sns, "list_tags_for_resource", "Tags", ResourceArn=t["TopicArn"])
        )
        for t in pages(sns, "list_topics", "Topics")
    ]


def kinesis_streams(ctx: RegionContext) -> list[Item]:
    kinesis = ctx.client("kinesis")
    return [
        ctx.item(
            "kinesis",
            ctx.arn("kinesis", f"stream/{name}"),
            tag_reader(kinesis, "list_tags_for_stream", "Tags", StreamName=name, Limit=50),  # 50: the maximum
        )
        for name in pages(kinesis, "list_streams", "StreamNames")
    ]


def firehose_streams(ctx: RegionContext) -> list[Item]:
    firehose = ctx.client("firehose")
    result = []
    start: dict[str, str] = {}
    while True:  # ListDeliveryStreams has no paginator
        page = firehose.list_delivery_streams(Limit=100, **start)
        names = page.get("DeliveryStreamNames") or []
        for name in names:
            tags = tag_reader(
                firehose, "list_tags_for_delivery_stream", "Tags", DeliveryStreamName=name, Limit=50
            )
            result.append(ctx.item("firehose", ctx.arn("firehose", f"deliverystream/{name}"), tags))
        if not page.get("HasMoreDeliveryStreams") or not names:
            return result
        start = {"ExclusiveStartDeliveryStreamName": names[-1]}


def lambda_functions(ctx: RegionContext) -> list[Item]:
    lam = ctx.client("lambda")
    return [
        ctx.item(
            "lambda", f["FunctionArn"], tag_reader(lam, "list_tags", "Tags", None, Resource=f["FunctionArn"])
        )
        for f in pages(lam, "list_functions", "Functions")
    ]


def ecs_clusters(ctx: RegionContext) -> list[Item]:
    ecs = ctx.client("ecs")
    arns = list(pages(ecs, "list_clusters", "clusterArns"))
    result = []
    for i in range(0, len(arns), 100):  # DescribeClusters takes at most 100
        for c in ecs.describe_clusters(clusters=arns[i : i + 100], include=["TAGS"]).get("clusters") or []:
            result.append(ctx.item("ecs", c["clusterArn"], kv(c.get("tags"), "key", "value")))
    return result


def ecr_repositories(ctx: RegionContext) -> list[Item]:
    ecr = ctx.client("ecr")
    return [
        ctx.item(
            "ecr",
            r["repositoryArn"],
            tag_reader(ecr, "list_tags_for_resource", "tags", resourceArn=r["repositoryArn"]),
        )
        for r in pages(ecr, "describe_repositories", "repositories")
    ]


def ec2_resources(ctx: RegionContext) -> list[Item]:
    ec2 = ctx.client("ec2")
    result = []
    for reservation in pages(ec2, "describe_instances", "Reservations"):
        for i in reservation.get("Instances") or []:
            if (i.get("State") or {}).get("Name") == "terminated":
                continue
            zone = (i.get("Placement") or {}).get("AvailabilityZone")
            result.append(
                ctx.item("ec2", ctx.arn("ec2", f"instance/{i['InstanceId']}"), kv(i.get("Tags")), zone)
            )
    for v in pages(ec2, "describe_volumes", "Volumes"):
        arn = ctx.arn("ec2", f"volume/{v['VolumeId']}")
        result.append(ctx.item("ec2", arn, kv(v.get("Tags")), zone=v.get("AvailabilityZone")))
    for s in pages(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"]):
        arn = ctx.arn("ec2", f"snapshot/{s['SnapshotId']}", account=False)  # snapshot ARNs name no account
        result.append(ctx.item("ec2", arn, kv(s.get("Tags"))))
    for vpc in pages(ec2, "describe_vpcs", "Vpcs"):
        arn = ctx.arn("ec2", f"vpc/{vpc['VpcId']}")
        if vpc.get("IsDefault"):
            ctx.ignore(arn)  # every region has one; its subnets, SG, routes are untagged
            continue
        result.append(ctx.item("ec2", arn, kv(vpc.get("Tags"))))
    return result


# (label in "not scanned" lines: its first word is the boto3 service, lister); run in this order
# after the tagging API.
REGIONAL_LISTERS: tuple[tuple[str, Callable[[RegionContext], list[Item]]], ...] = (
    ("dynamodb", dynamodb_tables),
    ("rds", rds_resources),
    ("rds snapshots", rds_snapshots),
    ("elasticache", elasticache_resources),
    ("efs", efs_file_systems),
    ("secretsmanager", secrets),
    ("logs", log_groups),
    ("backup", backup_vaults),
    ("kms", kms_keys),
    ("sqs", sqs_queues),
    ("sns", sns_topics),
    ("kinesis", kinesis_streams),
    ("firehose", firehose_streams),
    ("lambda", lambda_functions),
    ("ecs", ecs_clusters),
    ("ecr", ecr_repositories),
    ("ec2", ec2_resources),
)


# -- S3: one global listing, each bucket then located --------------------------------------------


def bucket_region(location_constraint: str | None) -> str:
    """GetBucketLocation's answer as a region: none means us-east-1, "EU" the old eu-west-1 name."""
    if not location_constraint:
        return "us-east-1"
    return "eu-west-1" if location_constraint == "EU" else location_constraint


def bucket_names(s3: Any) -> list[str]:
    return [b["Name"] for b in pages(s3, "list_buckets", "Buckets")]


def s3_bucket(name: str, client: Callable[[str, str], Any], home_region: str) -> Item:
    """The bucket's region and tags (read through a client in that region, as S3 wants)."""
    located = client("s3", home_region).get_bucket_location(Bucket=name).get("LocationConstraint")
    region = bucket_region(located)
    s3 = client("s3", region)
    arn = f"arn:{partition(region)}:s3:::{name}"
    try:
        tags: Tags | None = kv(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
        error = None
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchTagSet":
            tags, error = {}, None
        else:
            tags, error = None, error_text(exc)
    except BotoCoreError as exc:
        tags, error = None, error_text(exc)
    return Item(region, "s3", arn, tags, None, error)
