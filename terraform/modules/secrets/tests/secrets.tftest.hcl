# Unit tests: plan only, offline, no credentials.
#
# Terraform 1.11's mock providers reject ephemeral resource types ("No ephemeral resource types in
# mock providers", even with no instances), and the module draws generated values from the
# ephemeral aws_secretsmanager_random_password. So these tests use the real provider, configured so
# that it cannot reach AWS (dummy keys, no credential or account lookups, every endpoint it could
# call pointed at a closed local port), with override_data for the data sources that would call
# an API and override_resource (override_during = plan) for the IDs and ARNs AWS would assign.
# aws_iam_policy_document renders locally, so the policies below are the real JSON.
#
# Planning a "generated" secret opens the ephemeral resource, i.e. calls GetRandomPassword, so the
# run with generated secrets targets the secrets and their policies only (the runs that expect a
# validation error stop before). The write-only write itself is covered by applying an environment
# root against the embedded emulator. With the real provider each run costs several seconds.

provider "aws" {
  region                      = "af-south-1"
  access_key                  = "offline-test"
  secret_key                  = "offline-test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 1

  endpoints {
    ec2            = "http://127.0.0.1:9"
    ecs            = "http://127.0.0.1:9"
    iam            = "http://127.0.0.1:9"
    kms            = "http://127.0.0.1:9"
    lambda         = "http://127.0.0.1:9"
    logs           = "http://127.0.0.1:9"
    secretsmanager = "http://127.0.0.1:9"
    sts            = "http://127.0.0.1:9"
  }
}

override_data {
  target = data.aws_caller_identity.current
  values = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/ngapp-deployer"
  }
}

override_data {
  target = data.aws_vpc.rotation
  values = {
    cidr_block = "10.20.0.0/16"
  }
}

override_resource {
  target          = aws_kms_key.this
  override_during = plan
  values = {
    arn    = "arn:aws:kms:af-south-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    key_id = "00000000-0000-0000-0000-000000000000"
  }
}

override_resource {
  target          = aws_secretsmanager_secret.this
  override_during = plan
  values = {
    arn = "arn:aws:secretsmanager:af-south-1:123456789012:secret:/ngapp/test/mock-AbCdEf"
  }
}

override_resource {
  target          = aws_lambda_function.rotation
  override_during = plan
  values = {
    arn = "arn:aws:lambda:af-south-1:123456789012:function:ngapp-test-rotate-postgres"
  }
}

override_resource {
  target          = aws_security_group.rotation
  override_during = plan
  values = {
    id = "sg-0123456789abcdef0"
  }
}

variables {
  name        = "ngapp-test"
  project     = "ngapp"
  environment = "test"

  reader_role_arns = [
    "arn:aws:iam::123456789012:role/ngapp-test-api-task",
    "arn:aws:iam::123456789012:role/ngapp-test-api-execution",
  ]
  # The identity running these tests (data.aws_caller_identity above).
  admin_role_arns = ["arn:aws:iam::123456789012:user/ngapp-deployer"]

  tags = { Component = "secrets" }

  secrets = {
    "cache/endpoint" = {
      description = "Where the cache is"
      kind        = "json"
      json_fields = { host = "cache.internal", port = "6379" }
    }
    "mail/smtp" = {
      description = "SMTP relay login name and address"
      kind        = "json"
      json_fields = { host = "smtp.internal", port = "587", username = "ngapp" }
    }
  }
}

################################################################################
# Defaults, no rotation
################################################################################

run "no_rotation" {
  command = plan

  # KMS key
  assert {
    condition = (
      aws_kms_key.this.enable_key_rotation &&
      aws_kms_key.this.deletion_window_in_days == 30 &&
      aws_kms_key.this.policy == data.aws_iam_policy_document.kms_key.json &&
      aws_kms_alias.this.name == "alias/ngapp-test" &&
      aws_kms_alias.this.target_key_id == "00000000-0000-0000-0000-000000000000"
    )
    error_message = "The module must create a rotating KMS key with a 30-day deletion window, its policy, and the alias alias/<name>."
  }

  assert {
    condition = (
      [for s in jsondecode(data.aws_iam_policy_document.kms_key.json).Statement : s.Sid] == ["AccountAdministers", "CloudWatchLogsUsesForLogGroups", "ServicesPublishToEncryptedTopics"] &&
      jsondecode(data.aws_iam_policy_document.kms_key.json).Statement[0].Principal == { AWS = "arn:aws:iam::123456789012:root" } &&
      jsondecode(data.aws_iam_policy_document.kms_key.json).Statement[0].Action == "kms:*"
    )
    error_message = "The key policy must delegate the key to the account root (IAM), and name no other AWS principal."
  }

  assert {
    condition = (
      jsondecode(data.aws_iam_policy_document.kms_key.json).Statement[1].Principal == { Service = "logs.af-south-1.amazonaws.com" } &&
      jsondecode(data.aws_iam_policy_document.kms_key.json).Statement[1].Condition == {
        ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:af-south-1:123456789012:log-group:*" }
      }
    )
    error_message = "CloudWatch Logs of this region may use the key, for log groups of this account and region only."
  }

  assert {
    condition = (
      toset(jsondecode(data.aws_iam_policy_document.kms_key.json).Statement[2].Principal.Service) == toset(["backup.amazonaws.com", "budgets.amazonaws.com", "cloudwatch.amazonaws.com"]) &&
      jsondecode(data.aws_iam_policy_document.kms_key.json).Statement[2].Condition == { StringEquals = { "aws:SourceAccount" = "123456789012" } } &&
      toset(jsondecode(data.aws_iam_policy_document.kms_key.json).Statement[2].Action) == toset(["kms:Decrypt", "kms:GenerateDataKey*"])
    )
    error_message = "CloudWatch alarms, AWS Backup and AWS Budgets may use the key to publish to encrypted topics, for this account only."
  }

  # Secrets
  assert {
    condition     = { for k, s in aws_secretsmanager_secret.this : k => s.name } == { "cache/endpoint" = "/ngapp/test/cache/endpoint", "mail/smtp" = "/ngapp/test/mail/smtp" }
    error_message = "Secrets must be named /<project>/<environment>/<key>."
  }

  assert {
    condition     = output.secret_names == tomap({ "cache/endpoint" = "/ngapp/test/cache/endpoint", "mail/smtp" = "/ngapp/test/mail/smtp" })
    error_message = "secret_names must map each key to its name."
  }

  assert {
    condition     = output.secret_arns == tomap({ for k, s in aws_secretsmanager_secret.this : k => s.arn })
    error_message = "secret_arns must map each key to its ARN."
  }

  assert {
    condition = alltrue([
      for s in aws_secretsmanager_secret.this :
      s.kms_key_id == "arn:aws:kms:af-south-1:123456789012:key/00000000-0000-0000-0000-000000000000" && s.recovery_window_in_days == 30
    ])
    error_message = "Every secret must be encrypted with the module's key and keep the 30-day recovery window by default."
  }

  assert {
    condition     = { for k, s in aws_secretsmanager_secret.this : k => s.description } == { "cache/endpoint" = "Where the cache is", "mail/smtp" = "SMTP relay login name and address" }
    error_message = "Each secret must carry its description."
  }

  # Values
  assert {
    condition = (
      keys(aws_secretsmanager_secret_version.json) == ["cache/endpoint", "mail/smtp"] &&
      jsondecode(aws_secretsmanager_secret_version.json["cache/endpoint"].secret_string) == { host = "cache.internal", port = "6379" } &&
      alltrue([for v in aws_secretsmanager_secret_version.json : v.version_stages == toset(["AWSCURRENT"])])
    )
    error_message = "A json secret must hold jsonencode(json_fields) in a version Terraform keeps AWSCURRENT."
  }

  assert {
    condition     = length(aws_secretsmanager_secret_version.rotation_seed) == 0 && length(aws_secretsmanager_secret_version.generated) == 0
    error_message = "Without rotated or generated secrets there must be no seeds or generated versions."
  }

  # Policies
  assert {
    condition = (
      keys(aws_secretsmanager_secret_policy.this) == ["cache/endpoint", "mail/smtp"] &&
      alltrue([for k, p in aws_secretsmanager_secret_policy.this : p.block_public_policy && jsondecode(p.policy) == jsondecode(data.aws_iam_policy_document.secret_access[k].json)])
    )
    error_message = "Every secret must get its resource policy, blocking public policies."
  }

  assert {
    condition = alltrue([
      for k, d in data.aws_iam_policy_document.secret_access :
      jsondecode(d.json).Statement[0].Sid == "DenyReadToOthers" &&
      jsondecode(d.json).Statement[0].Effect == "Deny" &&
      jsondecode(d.json).Statement[0].Principal == "*" &&
      jsondecode(d.json).Statement[0].Action == "secretsmanager:GetSecretValue" &&
      keys(jsondecode(d.json).Statement[0].Condition) == ["StringNotEquals"] &&
      keys(jsondecode(d.json).Statement[0].Condition.StringNotEquals) == ["aws:PrincipalArn"] &&
      toset(jsondecode(d.json).Statement[0].Condition.StringNotEquals["aws:PrincipalArn"]) == toset(concat(var.reader_role_arns, var.admin_role_arns))
    ])
    error_message = "Each policy must deny GetSecretValue to every principal whose ARN is not one of the readers and admins."
  }

  assert {
    condition = alltrue([
      for k, d in data.aws_iam_policy_document.secret_access :
      jsondecode(d.json).Statement[1].Sid == "AllowReadToReaders" &&
      jsondecode(d.json).Statement[1].Effect == "Allow" &&
      jsondecode(d.json).Statement[1].Action == "secretsmanager:GetSecretValue" &&
      keys(jsondecode(d.json).Statement[1].Principal) == ["AWS"] &&
      toset(jsondecode(d.json).Statement[1].Principal.AWS) == toset(concat(var.reader_role_arns, var.admin_role_arns)) &&
      length(jsondecode(d.json).Statement) == 2
    ])
    error_message = "Each policy must allow GetSecretValue to exactly the readers and admins, and say nothing else."
  }

  assert {
    condition     = aws_kms_key.this.tags.Component == "secrets" && alltrue([for s in aws_secretsmanager_secret.this : s.tags.Component == "secrets"])
    error_message = "tags must reach the KMS key and every secret."
  }

  # Nothing for rotation
  assert {
    condition = (
      length(aws_lambda_function.rotation) == 0 && length(aws_iam_role.rotation) == 0 &&
      length(aws_security_group.rotation) == 0 && length(aws_cloudwatch_log_group.rotation) == 0 &&
      length(aws_lambda_permission.rotation) == 0 && length(aws_secretsmanager_secret_rotation.this) == 0 &&
      length(data.aws_vpc.rotation) == 0
    )
    error_message = "Without a rotated secret there must be no rotation Lambda, role, security group, log group, permission or schedule."
  }

  assert {
    condition     = length(output.rotation_lambda_arns) == 0 && length(output.rotation_lambda_role_arns) == 0 && length(output.rotation_security_group_ids) == 0
    error_message = "The rotation outputs must be empty when nothing is rotated."
  }

  assert {
    condition = (
      output.kms_key_arn == "arn:aws:kms:af-south-1:123456789012:key/00000000-0000-0000-0000-000000000000" &&
      output.kms_key_id == "00000000-0000-0000-0000-000000000000" &&
      output.kms_alias_name == "alias/ngapp-test"
    )
    error_message = "The key outputs must expose the module's key and alias."
  }
}

# Planning the generated values would call GetRandomPassword (see the top of this file), so this
# run plans the secrets and their policies only.
run "generated_secrets" {
  command = plan

  plan_options {
    target = [aws_secretsmanager_secret.this, aws_secretsmanager_secret_policy.this]
  }

  variables {
    secrets = {
      "cache/auth" = {
        description         = "Redis AUTH token"
        kind                = "generated"
        length              = 64
        exclude_punctuation = true
      }
      "app/session-key" = {
        description = "Signs session cookies"
        kind        = "generated"
      }
    }
  }

  assert {
    condition     = { for k, s in aws_secretsmanager_secret.this : k => s.name } == { "cache/auth" = "/ngapp/test/cache/auth", "app/session-key" = "/ngapp/test/app/session-key" }
    error_message = "Generated secrets must be named /<project>/<environment>/<key>."
  }

  assert {
    condition     = keys(aws_secretsmanager_secret_policy.this) == ["app/session-key", "cache/auth"]
    error_message = "Generated secrets must get resource policies too."
  }
}

################################################################################
# Resource policies
################################################################################

# Both are checked where they can be known: the account of each allowed ARN (precondition) and
# whether the identity running Terraform is among them (check block; a warning in a normal plan).
run "rejects_cross_account_reader_and_flags_locked_out_deployer" {
  command = plan

  variables {
    reader_role_arns = ["arn:aws:iam::999999999999:role/elsewhere"]
    admin_role_arns  = []
  }

  expect_failures = [aws_secretsmanager_secret_policy.this, check.deployer_can_read_secrets]
}

################################################################################
# Rotation
################################################################################

run "rotation" {
  command = plan

  variables {
    secrets = {
      "db/app" = {
        description = "Application database user"
        kind        = "json"
        rotation    = "postgres"
        json_fields = {
          engine    = "postgres"
          host      = "ngapp-test.abc123.af-south-1.rds.amazonaws.com"
          port      = "5432"
          dbname    = "app"
          username  = "app"
          masterarn = "arn:aws:secretsmanager:af-south-1:123456789012:secret:rds!db-1234-AbCdEf"
        }
      }
      "cache/endpoint" = {
        description = "Where the cache is"
        kind        = "json"
        json_fields = { host = "cache.internal", port = "6379" }
      }
    }
    rotation_lambda_zip        = "tests/fixtures/rotate_postgres.zip"
    vpc_id                     = "vpc-0123456789abcdef0"
    subnet_ids                 = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
    restart_service_arns       = ["arn:aws:ecs:af-south-1:123456789012:service/ngapp-test-api/ngapp-test-api"]
    master_secret_arns         = ["arn:aws:secretsmanager:af-south-1:123456789012:secret:rds!db-1234-AbCdEf"]
    master_secret_kms_key_arns = ["arn:aws:kms:af-south-1:123456789012:key/11111111-2222-3333-4444-555555555555"]
  }

  # Function
  assert {
    condition = (
      keys(aws_lambda_function.rotation) == ["postgres"] &&
      aws_lambda_function.rotation["postgres"].function_name == "ngapp-test-rotate-postgres" &&
      aws_lambda_function.rotation["postgres"].handler == "deployment_infra.lambdas.rotate_postgres.handler" &&
      aws_lambda_function.rotation["postgres"].runtime == "python3.12" &&
      aws_lambda_function.rotation["postgres"].timeout == 60 &&
      aws_lambda_function.rotation["postgres"].memory_size == 256
    )
    error_message = "One postgres rotation Lambda must run deployment_infra.lambdas.rotate_postgres.handler on python3.12 with 60 s and 256 MB."
  }

  assert {
    condition = (
      aws_lambda_function.rotation["postgres"].filename == "tests/fixtures/rotate_postgres.zip" &&
      aws_lambda_function.rotation["postgres"].source_code_hash == filebase64sha256("tests/fixtures/rotate_postgres.zip") &&
      aws_lambda_function.rotation["postgres"].kms_key_arn == aws_kms_key.this.arn &&
      aws_lambda_function.rotation["postgres"].tracing_config[0].mode == "PassThrough"
    )
    error_message = "The Lambda must deploy the given zip (redeploying when it changes), encrypt its environment with the module's key, untraced by default."
  }

  assert {
    condition = (
      aws_lambda_function.rotation["postgres"].vpc_config[0].subnet_ids == toset(var.subnet_ids) &&
      aws_lambda_function.rotation["postgres"].vpc_config[0].security_group_ids == toset(["sg-0123456789abcdef0"])
    )
    error_message = "The Lambda must run in the given subnets with its own security group."
  }

  assert {
    condition = aws_lambda_function.rotation["postgres"].environment[0].variables == tomap({
      RESTART_SERVICE_ARNS     = "[\"arn:aws:ecs:af-south-1:123456789012:service/ngapp-test-api/ngapp-test-api\"]"
      SECRETS_MANAGER_ENDPOINT = "https://secretsmanager.af-south-1.amazonaws.com"
    })
    error_message = "The Lambda must get the services to restart as JSON and the regional Secrets Manager endpoint."
  }

  assert {
    condition = (
      aws_cloudwatch_log_group.rotation["postgres"].name == "/aws/lambda/ngapp-test-rotate-postgres" &&
      aws_cloudwatch_log_group.rotation["postgres"].retention_in_days == 30 &&
      aws_cloudwatch_log_group.rotation["postgres"].kms_key_id == aws_kms_key.this.arn
    )
    error_message = "The Lambda's log group must be /aws/lambda/<function>, kept 30 days and encrypted with the module's key."
  }

  # Network
  assert {
    condition = (
      aws_security_group.rotation["postgres"].name == "ngapp-test-rotate-postgres" &&
      aws_security_group.rotation["postgres"].vpc_id == var.vpc_id &&
      length(aws_vpc_security_group_egress_rule.rotation_https) == 1 &&
      length(aws_vpc_security_group_egress_rule.rotation_database) == 1
    )
    error_message = "The Lambda's security group must be in the VPC with exactly two egress rules (and no ingress rule resources)."
  }

  assert {
    condition = (
      aws_vpc_security_group_egress_rule.rotation_https["postgres"].security_group_id == "sg-0123456789abcdef0" &&
      aws_vpc_security_group_egress_rule.rotation_https["postgres"].ip_protocol == "tcp" &&
      aws_vpc_security_group_egress_rule.rotation_https["postgres"].from_port == 443 &&
      aws_vpc_security_group_egress_rule.rotation_https["postgres"].to_port == 443 &&
      aws_vpc_security_group_egress_rule.rotation_https["postgres"].cidr_ipv4 == "0.0.0.0/0" &&
      aws_vpc_security_group_egress_rule.rotation_database["postgres"].from_port == 5432 &&
      aws_vpc_security_group_egress_rule.rotation_database["postgres"].to_port == 5432 &&
      aws_vpc_security_group_egress_rule.rotation_database["postgres"].cidr_ipv4 == "10.20.0.0/16"
    )
    error_message = "The Lambda may send HTTPS anywhere and the database port within the VPC only."
  }

  # IAM
  assert {
    condition = (
      aws_iam_role.rotation["postgres"].name == "ngapp-test-rotate-postgres" &&
      jsondecode(data.aws_iam_policy_document.rotation_assume.json).Statement[0].Principal == { Service = "lambda.amazonaws.com" } &&
      jsondecode(data.aws_iam_policy_document.rotation_assume.json).Statement[0].Condition == { StringEquals = { "aws:SourceAccount" = "123456789012" } }
    )
    error_message = "Only Lambda acting for this account may assume the rotation role."
  }

  assert {
    condition = [for s in data.aws_iam_policy_document.rotation["postgres"].statement : s.sid] == [
      "RotateSecrets", "ReadMasterSecrets", "GeneratePasswords", "UseSecretKeys",
      "DescribeNetworkInterfaces", "ManageNetworkInterfaces", "WriteLogs", "RestartServices",
    ]
    error_message = "The rotation role's policy must have exactly the expected statements."
  }

  assert {
    condition = (
      data.aws_iam_policy_document.rotation["postgres"].statement[0].resources == toset(["arn:aws:secretsmanager:af-south-1:123456789012:secret:/ngapp/test/mock-AbCdEf"]) &&
      length(data.aws_iam_policy_document.rotation["postgres"].statement[0].resources) == 1 &&
      data.aws_iam_policy_document.rotation["postgres"].statement[1].resources == toset(var.master_secret_arns) &&
      data.aws_iam_policy_document.rotation["postgres"].statement[1].actions == toset(["secretsmanager:GetSecretValue"])
    )
    error_message = "The Lambda may rotate the rotated secret only, and only read the master secrets."
  }

  assert {
    condition = (
      data.aws_iam_policy_document.rotation["postgres"].statement[3].resources == toset([aws_kms_key.this.arn, "arn:aws:kms:af-south-1:123456789012:key/11111111-2222-3333-4444-555555555555"]) &&
      one(data.aws_iam_policy_document.rotation["postgres"].statement[3].condition).variable == "kms:ViaService" &&
      one(data.aws_iam_policy_document.rotation["postgres"].statement[3].condition).values == tolist(["secretsmanager.af-south-1.amazonaws.com"])
    )
    error_message = "The Lambda may use the module's key and the master secrets' keys, through Secrets Manager only."
  }

  assert {
    condition = (
      data.aws_iam_policy_document.rotation["postgres"].statement[5].resources == toset(["arn:aws:ec2:af-south-1:123456789012:*/*"]) &&
      data.aws_iam_policy_document.rotation["postgres"].statement[6].resources == toset(["arn:aws:logs:af-south-1:123456789012:log-group:/aws/lambda/ngapp-test-rotate-postgres:*"]) &&
      data.aws_iam_policy_document.rotation["postgres"].statement[7].resources == toset(var.restart_service_arns) &&
      data.aws_iam_policy_document.rotation["postgres"].statement[7].actions == toset(["ecs:DescribeServices", "ecs:UpdateService"])
    )
    error_message = "Network interfaces must be held to this account and region, logs to the Lambda's group, and ECS calls to exactly the services to restart."
  }

  assert {
    condition     = aws_iam_role_policy.rotation["postgres"].name == "rotate-secrets"
    error_message = "The rotation role must carry the rotation policy."
  }

  assert {
    condition = (
      aws_lambda_permission.rotation["postgres"].principal == "secretsmanager.amazonaws.com" &&
      aws_lambda_permission.rotation["postgres"].action == "lambda:InvokeFunction" &&
      aws_lambda_permission.rotation["postgres"].source_account == "123456789012" &&
      aws_lambda_permission.rotation["postgres"].function_name == "ngapp-test-rotate-postgres"
    )
    error_message = "Only Secrets Manager acting for this account may invoke the Lambda."
  }

  # Schedule and seed
  assert {
    condition = (
      keys(aws_secretsmanager_secret_rotation.this) == ["db/app"] &&
      aws_secretsmanager_secret_rotation.this["db/app"].rotation_lambda_arn == "arn:aws:lambda:af-south-1:123456789012:function:ngapp-test-rotate-postgres" &&
      aws_secretsmanager_secret_rotation.this["db/app"].rotation_rules[0].automatically_after_days == 30 &&
      aws_secretsmanager_secret_rotation.this["db/app"].rotate_immediately
    )
    error_message = "Only the rotated secret must be rotated, by the Lambda, every 30 days, starting at once."
  }

  assert {
    condition = (
      keys(aws_secretsmanager_secret_version.rotation_seed) == ["db/app"] &&
      keys(aws_secretsmanager_secret_version.json) == ["cache/endpoint"] &&
      aws_secretsmanager_secret_version.rotation_seed["db/app"].version_stages == toset(["AWSCURRENT", "TERRAFORM_SEED"]) &&
      tomap(jsondecode(aws_secretsmanager_secret_version.rotation_seed["db/app"].secret_string)) == var.secrets["db/app"].json_fields
    )
    error_message = "A rotated secret must be seeded with its non-secret fields, labelled AWSCURRENT and TERRAFORM_SEED."
  }

  # Who may read. The rotation role's ARN is built from its name, so the policy is known at plan
  # time (the policy gate checks it then) although the role does not exist yet.
  assert {
    condition = (
      toset(jsondecode(aws_secretsmanager_secret_policy.this["db/app"].policy).Statement[0].Condition.StringNotEquals["aws:PrincipalArn"]) ==
      toset(concat(var.reader_role_arns, var.admin_role_arns, ["arn:aws:iam::123456789012:role/ngapp-test-rotate-postgres"])) &&
      toset(jsondecode(aws_secretsmanager_secret_policy.this["db/app"].policy).Statement[1].Principal.AWS) ==
      toset(concat(var.reader_role_arns, var.admin_role_arns, ["arn:aws:iam::123456789012:role/ngapp-test-rotate-postgres"]))
    )
    error_message = "The rotation Lambda's role must be among the readers of the rotated secret, known at plan time."
  }

  assert {
    condition     = toset(jsondecode(data.aws_iam_policy_document.secret_access["cache/endpoint"].json).Statement[0].Condition.StringNotEquals["aws:PrincipalArn"]) == toset(concat(var.reader_role_arns, var.admin_role_arns))
    error_message = "The rotation Lambda's role must not read secrets it does not rotate."
  }

  # Outputs
  assert {
    condition = (
      output.rotation_lambda_arns == tomap({ postgres = "arn:aws:lambda:af-south-1:123456789012:function:ngapp-test-rotate-postgres" }) &&
      output.rotation_security_group_ids == tomap({ postgres = "sg-0123456789abcdef0" })
    )
    error_message = "Outputs must expose the rotation Lambda and its security group."
  }
}

run "rotation_options" {
  command = plan

  variables {
    secrets = {
      "db/app" = {
        description = "Application database user"
        kind        = "json"
        rotation    = "postgres"
        json_fields = { host = "db.internal", port = "5433", dbname = "app", username = "app", masterarn = "arn:aws:secretsmanager:af-south-1:123456789012:secret:rds!db-1234-AbCdEf" }
      }
    }
    rotation_lambda_zip         = "tests/fixtures/rotate_postgres.zip"
    vpc_id                      = "vpc-0123456789abcdef0"
    subnet_ids                  = ["subnet-0bbbbbbbbbbbbbbb1"]
    database_port               = 5433
    rotation_days               = 7
    rotate_immediately          = false
    rotation_lambda_tracing     = true
    log_retention_days          = 90
    recovery_window_in_days     = 0
    kms_deletion_window_in_days = 7
  }

  override_resource {
    target          = aws_iam_role.rotation
    override_during = plan
    values = {
      arn = "arn:aws:iam::123456789012:role/ngapp-test-rotate-postgres"
    }
  }

  assert {
    condition     = output.rotation_lambda_role_arns["postgres"] == "arn:aws:iam::123456789012:role/ngapp-test-rotate-postgres" && aws_lambda_function.rotation["postgres"].role == output.rotation_lambda_role_arns["postgres"]
    error_message = "The Lambda must run as its own role, which rotation_lambda_role_arn exposes."
  }

  assert {
    condition = (
      aws_secretsmanager_secret_rotation.this["db/app"].rotation_rules[0].automatically_after_days == 7 &&
      !aws_secretsmanager_secret_rotation.this["db/app"].rotate_immediately &&
      aws_vpc_security_group_egress_rule.rotation_database["postgres"].from_port == 5433 &&
      aws_cloudwatch_log_group.rotation["postgres"].retention_in_days == 90 &&
      aws_secretsmanager_secret.this["db/app"].recovery_window_in_days == 0 &&
      aws_kms_key.this.deletion_window_in_days == 7
    )
    error_message = "rotation_days, rotate_immediately, database_port, log_retention_days, recovery_window_in_days and kms_deletion_window_in_days must be passed through."
  }

  assert {
    condition = (
      aws_lambda_function.rotation["postgres"].tracing_config[0].mode == "Active" &&
      contains([for s in data.aws_iam_policy_document.rotation["postgres"].statement : s.sid], "WriteTraces")
    )
    error_message = "Tracing must switch X-Ray on and let the role write traces."
  }

  assert {
    condition = (
      !contains([for s in data.aws_iam_policy_document.rotation["postgres"].statement : s.sid], "RestartServices") &&
      !contains([for s in data.aws_iam_policy_document.rotation["postgres"].statement : s.sid], "ReadMasterSecrets") &&
      aws_lambda_function.rotation["postgres"].environment[0].variables["RESTART_SERVICE_ARNS"] == "[]"
    )
    error_message = "Without services to restart or master secrets there must be no ECS or master-secret statement."
  }
}

# In an environment root the ARNs and network IDs come from other modules and are unknown at plan.
run "unknown_inputs_at_plan" {
  command = plan

  module {
    source = "./tests/unknown_inputs"
  }

  override_data {
    target = module.secrets.data.aws_caller_identity.current
    values = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:user/ngapp-deployer"
    }
  }

  assert {
    condition     = output.secret_names == tomap({ "db/app" = "/ngapp/test/db/app" })
    error_message = "The module must plan with reader, admin, service and master secret ARNs, the VPC and the subnets unknown."
  }
}

################################################################################
# Refused configurations
################################################################################

# Each plan with the real provider costs several seconds, so checks on different variables share
# a run; every validation of var.secrets still gets a run of its own.

run "rejects_values_below_range" {
  command = plan

  variables {
    name                        = "Ngapp_Test"
    reader_role_arns            = []
    rotation_days               = 0
    recovery_window_in_days     = 5
    kms_deletion_window_in_days = 6
    database_port               = 0
    log_retention_days          = 0
  }

  expect_failures = [
    var.name,
    var.reader_role_arns,
    var.rotation_days,
    var.recovery_window_in_days,
    var.kms_deletion_window_in_days,
    var.database_port,
    var.log_retention_days,
  ]
}

run "rejects_values_above_range_and_malformed_arns" {
  command = plan

  variables {
    reader_role_arns            = ["arn:aws:iam::123456789012:user/alice"]
    admin_role_arns             = ["arn:aws:iam::123456789012:group/admins"]
    rotation_days               = 91
    recovery_window_in_days     = 31
    kms_deletion_window_in_days = 31
    database_port               = 65536
    restart_service_arns        = ["arn:aws:ecs:af-south-1:123456789012:cluster/ngapp-test-api"]
    master_secret_arns          = ["arn:aws:ssm:af-south-1:123456789012:parameter/master"]
    master_secret_kms_key_arns  = ["alias/ngapp-test"]
    vpc_id                      = "vpc-1"
    subnet_ids                  = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb1"]
    rotation_lambda_zip         = "tests/fixtures/missing.zip"
  }

  expect_failures = [
    var.reader_role_arns,
    var.admin_role_arns,
    var.rotation_days,
    var.recovery_window_in_days,
    var.kms_deletion_window_in_days,
    var.database_port,
    var.restart_service_arns,
    var.master_secret_arns,
    var.master_secret_kms_key_arns,
    var.vpc_id,
    var.subnet_ids,
    var.rotation_lambda_zip,
  ]
}

run "rejects_bad_key" {
  command = plan

  variables {
    secrets = {
      "DB/App" = { description = "x", kind = "json", json_fields = { host = "h" } }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_key_that_reads_as_arn_suffix" {
  command = plan

  variables {
    secrets = {
      "db/app-abc123" = { description = "x", kind = "json", json_fields = { host = "h" } }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_bad_kind" {
  command = plan

  variables {
    secrets = {
      "db/app" = { description = "x", kind = "plain" }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_short_generated_value" {
  command = plan

  variables {
    secrets = {
      "app/key" = { description = "x", kind = "generated", length = 8 }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_json_without_fields" {
  command = plan

  variables {
    secrets = {
      "db/app" = { description = "x", kind = "json" }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_secret_looking_json_field" {
  command = plan

  variables {
    secrets = {
      "db/app" = { description = "x", kind = "json", json_fields = { username = "app", api_key = "not-here" } }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_rotating_a_generated_value" {
  command = plan

  variables {
    secrets = {
      "cache/auth" = { description = "x", kind = "generated", rotation = "postgres" }
    }
    rotation_lambda_zip = "tests/fixtures/rotate_postgres.zip"
    vpc_id              = "vpc-0123456789abcdef0"
    subnet_ids          = ["subnet-0bbbbbbbbbbbbbbb1"]
  }

  expect_failures = [var.secrets]
}

run "rejects_unknown_rotation" {
  command = plan

  variables {
    secrets = {
      "db/app" = { description = "x", kind = "json", rotation = "mysql", json_fields = { host = "h", port = "3306", dbname = "d", username = "u", masterarn = "m" } }
    }
    rotation_lambda_zip = "tests/fixtures/rotate_postgres.zip"
    vpc_id              = "vpc-0123456789abcdef0"
    subnet_ids          = ["subnet-0bbbbbbbbbbbbbbb1"]
  }

  expect_failures = [var.secrets]
}

run "redis_auth_rotation" {
  command = plan

  variables {
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
          masterarn = "arn:aws:secretsmanager:af-south-1:123456789012:secret:rds!db-1234-AbCdEf"
        }
      }
      "cache/auth" = {
        description = "Redis AUTH token"
        kind        = "json"
        rotation    = "redis_auth"
        json_fields = { engine = "redis", replication_group_id = "ngapp-test-cache" }
      }
    }
    rotation_lambda_zip  = "tests/fixtures/rotate_postgres.zip"
    vpc_id               = "vpc-0123456789abcdef0"
    subnet_ids           = ["subnet-0bbbbbbbbbbbbbbb1"]
    restart_service_arns = ["arn:aws:ecs:af-south-1:123456789012:service/ngapp-test-api/ngapp-test-api"]
    master_secret_arns   = ["arn:aws:secretsmanager:af-south-1:123456789012:secret:rds!db-1234-AbCdEf"]
  }

  assert {
    condition = (
      aws_lambda_function.rotation["redis_auth"].handler == "deployment_infra.lambdas.rotate_redis_auth.handler" &&
      aws_lambda_function.rotation["redis_auth"].timeout == 900 &&
      aws_lambda_function.rotation["postgres"].timeout == 60
    )
    error_message = "Each kind must have its own handler; the cache's waits for ElastiCache to apply the token."
  }

  assert {
    condition = (
      aws_vpc_security_group_egress_rule.rotation_database["redis_auth"].from_port == 6379 &&
      aws_vpc_security_group_egress_rule.rotation_database["postgres"].from_port == 5432
    )
    error_message = "Each kind's Lambda may reach only its own port."
  }

  assert {
    condition = (
      length([for st in data.aws_iam_policy_document.rotation["redis_auth"].statement : st if st.sid == "SetCacheTokens"]) == 1 &&
      one([for st in data.aws_iam_policy_document.rotation["redis_auth"].statement : st.resources if st.sid == "SetCacheTokens"]) == toset(["arn:aws:elasticache:af-south-1:123456789012:replicationgroup:ngapp-test-cache"]) &&
      length([for st in data.aws_iam_policy_document.rotation["redis_auth"].statement : st if st.sid == "ReadMasterSecrets"]) == 0 &&
      length([for st in data.aws_iam_policy_document.rotation["postgres"].statement : st if st.sid == "SetCacheTokens"]) == 0
    )
    error_message = "Only the cache Lambda may modify exactly its replication group, and it may not read the database master secret."
  }
}

run "rejects_redis_rotation_without_group" {
  command = plan

  variables {
    secrets = {
      "cache/auth" = { description = "x", kind = "json", rotation = "redis_auth", json_fields = { engine = "redis" } }
    }
    rotation_lambda_zip = "tests/fixtures/rotate_postgres.zip"
    vpc_id              = "vpc-0123456789abcdef0"
    subnet_ids          = ["subnet-0bbbbbbbbbbbbbbb1"]
  }

  expect_failures = [var.secrets]
}

run "rejects_postgres_rotation_without_masterarn" {
  command = plan

  variables {
    secrets = {
      "db/app" = { description = "x", kind = "json", rotation = "postgres", json_fields = { host = "h", port = "5432", dbname = "d", username = "u" } }
    }
    rotation_lambda_zip = "tests/fixtures/rotate_postgres.zip"
    vpc_id              = "vpc-0123456789abcdef0"
    subnet_ids          = ["subnet-0bbbbbbbbbbbbbbb1"]
  }

  expect_failures = [var.secrets]
}

run "rejects_rotation_without_zip_or_network" {
  command = plan

  variables {
    secrets = {
      "db/app" = { description = "x", kind = "json", rotation = "postgres", json_fields = { host = "h", port = "5432", dbname = "d", username = "u", masterarn = "m" } }
    }
  }

  expect_failures = [var.rotation_lambda_zip, var.vpc_id, var.subnet_ids]
}

################################################################################
# External values and per-secret readers
################################################################################

run "external_secret_with_own_readers" {
  command = plan

  variables {
    secrets = {
      "monitoring/pagerduty" = {
        description = "PagerDuty routing key, put by an operator"
        kind        = "external"
        readers     = ["arn:aws:iam::123456789012:role/ngapp-test-monitoring-execution"]
      }
      "mail/smtp" = {
        description = "SMTP relay address"
        kind        = "json"
        json_fields = { host = "smtp.internal" }
      }
    }
  }

  assert {
    condition     = length(aws_secretsmanager_secret_version.json) == 1 && length(aws_secretsmanager_secret_version.generated) == 0 && length(aws_secretsmanager_secret_version.rotation_seed) == 0
    error_message = "An external secret must get no version from Terraform (an operator puts its value)."
  }

  assert {
    condition = toset(flatten([jsondecode(data.aws_iam_policy_document.secret_access["monitoring/pagerduty"].json).Statement[1].Principal.AWS])) == toset([
      "arn:aws:iam::123456789012:role/ngapp-test-monitoring-execution", "arn:aws:iam::123456789012:user/ngapp-deployer",
    ])
    error_message = "A secret's readers replace reader_role_arns for it; admins are always added."
  }

  assert {
    condition     = !contains(jsondecode(data.aws_iam_policy_document.secret_access["monitoring/pagerduty"].json).Statement[0].Condition.StringNotEquals["aws:PrincipalArn"], "arn:aws:iam::123456789012:role/ngapp-test-api-task")
    error_message = "The environment's other readers must be denied a secret that names its own readers."
  }
}

run "rejects_external_with_fields_and_empty_readers" {
  command = plan

  variables {
    secrets = {
      "monitoring/slack" = { description = "x", kind = "external", json_fields = { host = "h" } }
      "monitoring/other" = { description = "x", kind = "external", readers = [] }
    }
  }

  expect_failures = [var.secrets]
}
