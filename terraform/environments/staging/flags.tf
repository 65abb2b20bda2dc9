################################################################################
# Feature flags (AWS AppConfig): the same image reads different flags per environment
################################################################################

# `infra flags` owns the values after creation; the service reads them through the AppConfig agent
# sidecar (module "service", appconfig_agent) at http://localhost:2772, without a redeploy.
module "flags" {
  source = "../../modules/flags"

  name        = local.name
  environment = var.environment

  flags = {
    maintenance_banner = {
      enabled     = false
      description = "The reference service adds a Maintenance-Banner header to every response."
    }
  }

  deployment_strategy = {
    final_bake_time_in_minutes = var.flags_bake_minutes
  }
}
