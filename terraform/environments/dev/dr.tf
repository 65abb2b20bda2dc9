# Disaster recovery: an AWS Backup vault of the environment's own (separate KMS key, vault lock)
# backing up every resource tagged with local.backup_tag daily, plus continuous backup (PITR) for
# PostgreSQL. In-region by default: copies to another region leave Africa (see the dr module's
# README); identical in every environment root.

locals {
  backup_tag = { key = "BackupPlan", value = "${local.name}-daily" }
}

module "backup" {
  source = "../../modules/dr"

  name                 = local.name
  environment          = var.environment
  selection_tag        = local.backup_tag
  retention_days       = var.backup_retention_days
  copy_destinations    = var.backup_copy_destinations
  allowed_copy_regions = var.backup_copy_allowed_regions
  vault_lock           = var.backup_vault_lock
  # Vault events (failed backup, copy or restore jobs) page through the monitoring alarm topic.
  notification_topic_arn = module.monitoring.alarm_topic_arn
  create_notifications   = true
  # Backups outlive a teardown wherever final snapshots are kept (prod): lifting deletion
  # protection for `infra down` must not empty the vault.
  force_destroy = !var.final_snapshots
}
