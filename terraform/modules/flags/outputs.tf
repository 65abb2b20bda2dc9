output "application_id" {
  description = "AppConfig application id."
  value       = aws_appconfig_application.this.id
}

output "application_arn" {
  description = "AppConfig application ARN."
  value       = aws_appconfig_application.this.arn
}

output "application_name" {
  description = "AppConfig application name (\"<project>-<env>\")."
  value       = aws_appconfig_application.this.name
}

output "environment_id" {
  description = "AppConfig environment id."
  value       = aws_appconfig_environment.this.environment_id
}

output "environment_arn" {
  description = "AppConfig environment ARN."
  value       = aws_appconfig_environment.this.arn
}

output "configuration_profile_id" {
  description = "Id of the feature-flag configuration profile."
  value       = aws_appconfig_configuration_profile.this.configuration_profile_id
}

output "configuration_profile_arn" {
  description = "ARN of the feature-flag configuration profile."
  value       = aws_appconfig_configuration_profile.this.arn
}

output "deployment_strategy_id" {
  description = "Id of the environment's flags deployment strategy (\"<name>-flags\")."
  value       = aws_appconfig_deployment_strategy.this.id
}

output "initial_version_number" {
  description = "Hosted configuration version holding the initial flags."
  value       = aws_appconfig_hosted_configuration_version.initial.version_number
}

output "agent_path" {
  description = "Path of the flags on the AppConfig agent (http://localhost:2772 + this), the service's FLAGS_URL."
  value       = "/applications/${aws_appconfig_application.this.name}/environments/${aws_appconfig_environment.this.name}/configurations/${aws_appconfig_configuration_profile.this.name}"
}

output "configuration_arn" {
  description = "ARN of this environment's flags configuration (application/<id>/environment/<id>/configuration/<id>), what the AppConfig agent reads; for the task role's policy."
  value       = "arn:${data.aws_partition.current.partition}:appconfig:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:application/${aws_appconfig_application.this.id}/environment/${aws_appconfig_environment.this.environment_id}/configuration/${aws_appconfig_configuration_profile.this.configuration_profile_id}"
}
