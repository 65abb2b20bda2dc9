################################################################################
# AWS AppConfig feature flags of one environment
################################################################################

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  # AppConfig's feature-flag document (format version "1"): definitions under "flags", the
  # environment's values under "values".
  initial_document = jsonencode({
    version = "1"
    flags   = { for name, flag in var.flags : name => { name = name, description = flag.description } }
    values  = { for name, flag in var.flags : name => { enabled = flag.enabled } }
  })
}

resource "aws_appconfig_application" "this" {
  name        = var.name
  description = "Feature flags of ${var.name}"

  tags = var.tags
}

resource "aws_appconfig_environment" "this" {
  application_id = aws_appconfig_application.this.id
  name           = var.environment
  description    = "Environment ${var.environment}"

  tags = var.tags
}

resource "aws_appconfig_configuration_profile" "this" {
  application_id = aws_appconfig_application.this.id
  name           = var.profile_name
  description    = "Feature flags (schema: cd/flags.schema.json; changed with `infra flags`)"
  location_uri   = "hosted"
  type           = "AWS.AppConfig.FeatureFlags"

  tags = var.tags
}

resource "aws_appconfig_deployment_strategy" "this" {
  name                           = "${var.name}-flags"
  description                    = "How flag changes of ${var.name} roll out"
  deployment_duration_in_minutes = var.deployment_strategy.deployment_duration_in_minutes
  growth_factor                  = var.deployment_strategy.growth_factor
  growth_type                    = var.deployment_strategy.growth_type
  final_bake_time_in_minutes     = var.deployment_strategy.final_bake_time_in_minutes
  replicate_to                   = "NONE"

  tags = var.tags
}

resource "aws_appconfig_hosted_configuration_version" "initial" {
  application_id           = aws_appconfig_application.this.id
  configuration_profile_id = aws_appconfig_configuration_profile.this.configuration_profile_id
  description              = "Initial flags (Terraform); later versions come from `infra flags`"
  content_type             = "application/json"
  content                  = local.initial_document

  lifecycle {
    # The flags are operated at run time: `infra flags` writes and deploys every later version.
    # A content change here would replace this version (a new version plus a redeploy through the
    # deployment below) and silently undo what was set since, so Terraform seeds the flags once.
    ignore_changes = [content, description]
  }
}

resource "aws_appconfig_deployment" "initial" {
  application_id           = aws_appconfig_application.this.id
  environment_id           = aws_appconfig_environment.this.environment_id
  configuration_profile_id = aws_appconfig_configuration_profile.this.configuration_profile_id
  configuration_version    = aws_appconfig_hosted_configuration_version.initial.version_number
  deployment_strategy_id   = aws_appconfig_deployment_strategy.this.id
  description              = "Initial flags"

  tags = var.tags

  lifecycle {
    # Every argument forces a new deployment; a strategy change (e.g. a longer bake) must not
    # redeploy the initial version over the flags `infra flags` deployed since.
    ignore_changes = [deployment_strategy_id, description]
  }
}
