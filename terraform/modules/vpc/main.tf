data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # Subnet layout: the VPC CIDR is cut into 16 equal blocks (4 new bits), so a /16 gives /20
  # subnets and a /24 gives /28 (AWS's smallest). Each tier owns a run of 4 blocks, one per
  # AZ index, leaving block 3 of each run and blocks 12-15 free for later tiers:
  #   public 0-2, private 4-6, database 8-10.
  subnet_newbits = 4
  tier_offsets = {
    public   = 0
    private  = 4
    database = 8
  }
  az_index = { for i, az in var.azs : az => i }
  subnet_cidrs = {
    for tier, offset in local.tier_offsets : tier => {
      for az, i in local.az_index : az => cidrsubnet(var.cidr, local.subnet_newbits, offset + i)
    }
  }

  # AZs that get a NAT gateway; a single NAT sits in the first AZ.
  nat_azs = var.enable_nat_gateway ? (var.single_nat_gateway ? [var.azs[0]] : var.azs) : []

  flow_log_group_name  = "/aws/vpc-flow-logs/${var.name}"
  flow_log_group_arn   = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.flow_log_group_name}"
  create_kms_key       = var.flow_log_kms_key_arn == null
  flow_log_kms_key_arn = local.create_kms_key ? aws_kms_key.this["flow-logs"].arn : var.flow_log_kms_key_arn
}

################################################################################
# VPC
################################################################################

resource "aws_vpc" "this" {
  cidr_block           = var.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = var.name })
}

# Adopting the default SG with no rule blocks strips all its rules, so anything launched
# without an explicit security group gets no network access.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-default-closed" })
}

################################################################################
# Subnets
################################################################################

resource "aws_subnet" "public" {
  for_each = local.subnet_cidrs.public

  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = each.value
  # Only load balancers live here and they get addresses without this.
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-public-${each.key}", Tier = "public" })
}

resource "aws_subnet" "private" {
  for_each = local.subnet_cidrs.private

  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = each.value

  tags = merge(var.tags, { Name = "${var.name}-private-${each.key}", Tier = "private" })
}

resource "aws_subnet" "database" {
  for_each = local.subnet_cidrs.database

  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = each.value

  tags = merge(var.tags, { Name = "${var.name}-database-${each.key}", Tier = "database" })
}

resource "aws_db_subnet_group" "this" {
  name        = var.name
  description = "Database subnets of ${var.name}"
  subnet_ids  = [for az in var.azs : aws_subnet.database[az].id]

  tags = merge(var.tags, { Name = var.name })
}

################################################################################
# Internet and NAT gateways
################################################################################

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_eip" "nat" {
  for_each = toset(local.nat_azs)

  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name}-nat-${each.key}" })

  # An EIP in a VPC needs the internet gateway attached first.
  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  for_each = toset(local.nat_azs)

  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.public[each.key].id

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

################################################################################
# Route tables
################################################################################

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-public", Tier = "public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = aws_subnet.public

  subnet_id      = each.value.id
  route_table_id = aws_route_table.public.id
}

# One private route table per AZ so each AZ can use its own NAT gateway.
resource "aws_route_table" "private" {
  for_each = toset(var.azs)

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-private-${each.key}", Tier = "private" })
}

resource "aws_route" "private_nat" {
  for_each = var.enable_nat_gateway ? toset(var.azs) : toset([])

  route_table_id         = aws_route_table.private[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.single_nat_gateway ? var.azs[0] : each.key].id
}

resource "aws_route_table_association" "private" {
  for_each = aws_subnet.private

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private[each.key].id
}

# Databases get no route to the internet at all, only the VPC and the S3 endpoint.
resource "aws_route_table" "database" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-database", Tier = "database" })
}

resource "aws_route_table_association" "database" {
  for_each = aws_subnet.database

  subnet_id      = each.value.id
  route_table_id = aws_route_table.database.id
}

################################################################################
# S3 gateway endpoint
################################################################################

# Keeps S3 traffic (backups, artefacts) on the AWS network and free of NAT charges.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = concat([for az in var.azs : aws_route_table.private[az].id], [aws_route_table.database.id])

  tags = merge(var.tags, { Name = "${var.name}-s3" })
}

################################################################################
# Flow logs
################################################################################

data "aws_iam_policy_document" "flow_log_key" {
  #checkov:skip=CKV_AWS_109: a key policy must give the account root kms:* (AWS's default statement) so IAM policies can grant use and the key never becomes unmanageable
  #checkov:skip=CKV_AWS_111: a key policy governs only its own key and AWS requires resources = "*"; write access goes to the account root, and IAM policies decide who uses the key
  #checkov:skip=CKV_AWS_356: "*" in a key policy means this key (AWS requires it); the principals are the account root and condition-bound service principals, never "*"
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # CloudWatch Logs may use the key only for this VPC's flow log group.
  statement {
    sid = "CloudWatchLogsUsesForFlowLogGroup"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.flow_log_group_arn]
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.create_kms_key ? toset(["flow-logs"]) : toset([])

  description             = "Encrypts VPC flow logs of ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.flow_log_key.json

  tags = merge(var.tags, { Name = "${var.name}-vpc-flow-logs" })
}

resource "aws_kms_alias" "this" {
  for_each = aws_kms_key.this

  name          = "alias/${var.name}-vpc-flow-logs"
  target_key_id = each.value.key_id
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  #checkov:skip=CKV_AWS_338: retention is the caller's flow_log_retention_days: 365 in prod (terraform.tfvars); shorter elsewhere because flow logs hold IP addresses (personal data) kept no longer than needed
  name              = local.flow_log_group_name
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = local.flow_log_kms_key_arn

  tags = merge(var.tags, { Name = local.flow_log_group_name })
}

data "aws_iam_policy_document" "flow_log_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }

    # Confused-deputy guard: only flow logs of this account may assume the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-flow-log/*"]
    }
  }
}

data "aws_iam_policy_document" "flow_log_write" {
  statement {
    sid = "WriteFlowLogGroup"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
    ]
    resources = [local.flow_log_group_arn, "${local.flow_log_group_arn}:*"]
  }

  # DescribeLogGroups is a list call and cannot be narrowed to a single group.
  statement {
    sid       = "DescribeLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-flow-logs"
  description        = "Lets VPC flow logs of ${var.name} write to their CloudWatch log group"
  assume_role_policy = data.aws_iam_policy_document.flow_log_assume.json

  tags = merge(var.tags, { Name = "${var.name}-flow-logs" })
}

resource "aws_iam_role_policy" "this" {
  name   = "write-flow-logs"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.flow_log_write.json
}

resource "aws_flow_log" "this" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn         = aws_iam_role.this.arn

  tags = merge(var.tags, { Name = var.name })
}
