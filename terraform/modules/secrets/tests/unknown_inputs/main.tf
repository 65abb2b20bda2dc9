# Test harness for secrets.tftest.hcl: wires the module the way an environment root does, with
# role, service, secret and network IDs taken from resources, so they are unknown at plan time.

terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

resource "aws_vpc" "this" {
  cidr_block = "10.20.0.0/16"
}

resource "aws_subnet" "private" {
  for_each = toset(["10.20.1.0/24", "10.20.2.0/24"])

  vpc_id     = aws_vpc.this.id
  cidr_block = each.key
}

resource "aws_iam_role" "app" {
  for_each = toset(["task", "execution", "deployer"])

  name               = "ngapp-test-api-${each.key}"
  assume_role_policy = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
}

resource "aws_secretsmanager_secret" "master" {
  name = "rds-db-test"
}

resource "aws_kms_key" "master" {}

resource "aws_ecs_cluster" "this" {
  name = "ngapp-test-api"
}

resource "aws_ecs_service" "this" {
  name    = "ngapp-test-api"
  cluster = aws_ecs_cluster.this.id
}

module "secrets" {
  source = "../.."

  name        = "ngapp-test"
  project     = "ngapp"
  environment = "test"

  secrets = {
    "db/app" = {
      description = "Application database user"
      kind        = "json"
      rotation    = "postgres"
      json_fields = {
        host      = "db.internal"
        port      = "5432"
        dbname    = "app"
        username  = "app"
        masterarn = aws_secretsmanager_secret.master.arn
      }
    }
  }

  reader_role_arns = [aws_iam_role.app["task"].arn, aws_iam_role.app["execution"].arn]
  # The test's deployer (known, so the module's deployer check can pass at plan) and a role.
  admin_role_arns            = ["arn:aws:iam::123456789012:user/ngapp-deployer", aws_iam_role.app["deployer"].arn]
  rotation_lambda_zip        = "tests/fixtures/rotate_postgres.zip"
  vpc_id                     = aws_vpc.this.id
  subnet_ids                 = [for s in aws_subnet.private : s.id]
  restart_service_arns       = [aws_ecs_service.this.id]
  master_secret_arns         = [aws_secretsmanager_secret.master.arn]
  master_secret_kms_key_arns = [aws_kms_key.master.arn]
}

output "secret_names" {
  description = "The module's secret_names output (map(string))."
  value       = module.secrets.secret_names
}
