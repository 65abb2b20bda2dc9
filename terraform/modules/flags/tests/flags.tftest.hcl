# Unit tests with a mocked AWS provider: no credentials or network needed.

mock_provider "aws" {
  mock_resource "aws_appconfig_application" {
    defaults = {
      id  = "app1234"
      arn = "arn:aws:appconfig:af-south-1:123456789012:application/app1234"
    }
  }

  mock_resource "aws_appconfig_environment" {
    defaults = {
      environment_id = "env1234"
      arn            = "arn:aws:appconfig:af-south-1:123456789012:application/app1234/environment/env1234"
    }
  }

  mock_resource "aws_appconfig_configuration_profile" {
    defaults = {
      configuration_profile_id = "prf1234"
      arn                      = "arn:aws:appconfig:af-south-1:123456789012:application/app1234/configurationprofile/prf1234"
    }
  }

  mock_resource "aws_appconfig_deployment_strategy" {
    defaults = {
      id = "str1234"
    }
  }

  mock_resource "aws_appconfig_hosted_configuration_version" {
    defaults = {
      version_number = 1
    }
  }
}

variables {
  name        = "ngapp-dev"
  environment = "dev"
  flags = {
    maintenance_banner = { enabled = false, description = "Maintenance-Banner header on every response" }
    new_search         = { enabled = true, description = "Search v2" }
  }
  tags = { Component = "flags" }
}

# Runs share state: this plan comes before the apply below.
run "no_flags_is_an_empty_document" {
  command = plan

  variables {
    flags = {}
  }

  assert {
    condition     = jsondecode(aws_appconfig_hosted_configuration_version.initial.content) == { version = "1", flags = {}, values = {} }
    error_message = "no initial flags: an empty feature-flag document"
  }
}

run "one_application_environment_and_feature_flag_profile" {
  command = apply

  assert {
    condition = (
      aws_appconfig_application.this.name == "ngapp-dev" && aws_appconfig_environment.this.name == "dev" &&
      aws_appconfig_environment.this.application_id == "app1234" &&
      aws_appconfig_configuration_profile.this.name == "flags" &&
      aws_appconfig_configuration_profile.this.type == "AWS.AppConfig.FeatureFlags" &&
      aws_appconfig_configuration_profile.this.location_uri == "hosted"
    )
    error_message = "application \"<name>\", environment \"<environment>\", hosted AWS.AppConfig.FeatureFlags profile \"flags\""
  }

  assert {
    condition = jsondecode(aws_appconfig_hosted_configuration_version.initial.content) == {
      version = "1"
      flags = {
        maintenance_banner = { name = "maintenance_banner", description = "Maintenance-Banner header on every response" }
        new_search         = { name = "new_search", description = "Search v2" }
      }
      values = {
        maintenance_banner = { enabled = false }
        new_search         = { enabled = true }
      }
    }
    error_message = "the initial flags rendered as AppConfig's feature-flag document, version \"1\""
  }

  assert {
    condition     = aws_appconfig_hosted_configuration_version.initial.content_type == "application/json"
    error_message = "the document is JSON"
  }

  assert {
    condition = (
      aws_appconfig_deployment_strategy.this.name == "ngapp-dev-flags" &&
      aws_appconfig_deployment_strategy.this.deployment_duration_in_minutes == 0 &&
      aws_appconfig_deployment_strategy.this.growth_factor == 100 &&
      aws_appconfig_deployment_strategy.this.growth_type == "LINEAR" &&
      aws_appconfig_deployment_strategy.this.final_bake_time_in_minutes == 0 &&
      aws_appconfig_deployment_strategy.this.replicate_to == "NONE"
    )
    error_message = "by default the strategy \"<name>-flags\" deploys all at once without bake"
  }

  assert {
    condition = (
      aws_appconfig_deployment.initial.environment_id == "env1234" &&
      aws_appconfig_deployment.initial.configuration_profile_id == "prf1234" &&
      aws_appconfig_deployment.initial.configuration_version == "1" &&
      aws_appconfig_deployment.initial.deployment_strategy_id == "str1234"
    )
    error_message = "the initial version is deployed to the environment with the module's strategy"
  }

  assert {
    condition = alltrue([
      for tags in [
        aws_appconfig_application.this.tags, aws_appconfig_environment.this.tags,
        aws_appconfig_configuration_profile.this.tags, aws_appconfig_deployment_strategy.this.tags,
        aws_appconfig_deployment.initial.tags,
      ] : tags == tomap({ Component = "flags" })
    ])
    error_message = "every taggable resource carries var.tags"
  }

  assert {
    condition     = output.agent_path == "/applications/ngapp-dev/environments/dev/configurations/flags"
    error_message = "the agent path names application, environment and profile"
  }
}

run "later_flag_changes_do_not_touch_the_deployed_version" {
  command = plan

  variables {
    flags = {
      maintenance_banner = { enabled = true, description = "changed after creation" }
    }
  }

  assert {
    condition = jsondecode(aws_appconfig_hosted_configuration_version.initial.content).values == {
      maintenance_banner = { enabled = false }
      new_search         = { enabled = true }
    }
    error_message = "after creation `infra flags` owns the flags: a changed var.flags changes nothing"
  }

  assert {
    condition     = aws_appconfig_deployment.initial.configuration_version == "1"
    error_message = "no redeploy of the initial version"
  }
}

run "production_strategy_bakes" {
  command = plan

  variables {
    environment         = "prod"
    name                = "ngapp-prod"
    deployment_strategy = { final_bake_time_in_minutes = 10, deployment_duration_in_minutes = 10, growth_factor = 20 }
  }

  assert {
    condition = (
      aws_appconfig_deployment_strategy.this.final_bake_time_in_minutes == 10 &&
      aws_appconfig_deployment_strategy.this.deployment_duration_in_minutes == 10 &&
      aws_appconfig_deployment_strategy.this.growth_factor == 20 &&
      aws_appconfig_deployment_strategy.this.growth_type == "LINEAR"
    )
    error_message = "the strategy follows var.deployment_strategy, unset fields keep their defaults"
  }
}

run "rejects_bad_names" {
  command = plan

  variables {
    name        = "Ngapp_dev"
    environment = "Dev"
  }

  expect_failures = [var.name, var.environment]
}

run "rejects_bad_flags" {
  command = plan

  variables {
    flags = {
      "Bad-Name" = { enabled = true, description = "" }
    }
  }

  expect_failures = [var.flags]
}

run "rejects_bad_strategy" {
  command = plan

  variables {
    deployment_strategy = { growth_factor = 0, growth_type = "STEP", final_bake_time_in_minutes = 1.5, deployment_duration_in_minutes = -1 }
  }

  expect_failures = [var.deployment_strategy]
}
