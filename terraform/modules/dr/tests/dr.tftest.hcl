# Unit tests with a mocked AWS provider: no credentials or network needed.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:root"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }

  # The real data source renders JSON; the provider validates IAM policy JSON.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:af-south-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/ngapp-test-backup"
    }
  }
}

variables {
  name        = "ngapp-test"
  environment = "dev"
}

run "defaults_in_region_own_key_lock_two_rules" {
  command = apply

  assert {
    condition     = length(aws_kms_key.this) == 1 && aws_kms_key.this[0].enable_key_rotation && aws_kms_alias.this[0].name == "alias/ngapp-test-backup"
    error_message = "without kms_key_arn the vault gets its own rotated key and alias"
  }

  assert {
    condition     = aws_backup_vault.this.kms_key_arn == aws_kms_key.this[0].arn && output.kms_key_arn == aws_kms_key.this[0].arn
    error_message = "the vault is encrypted with the module's key"
  }

  assert {
    condition     = aws_backup_vault.this.tags["DataClassification"] == "personal" && !aws_backup_vault.this.force_destroy
    error_message = "the vault is personal data and keeps its backups on destroy by default"
  }

  assert {
    condition     = aws_backup_vault_lock_configuration.this[0].min_retention_days == 7 && aws_backup_vault_lock_configuration.this[0].max_retention_days == 365 && aws_backup_vault_lock_configuration.this[0].changeable_for_days == null
    error_message = "default lock is governance (no changeable_for_days), 7-365 days"
  }

  assert {
    condition     = length(aws_backup_plan.this.rule) == 2
    error_message = "a daily and a continuous rule"
  }

  assert {
    condition = alltrue([
      for r in aws_backup_plan.this.rule :
      r.rule_name == "daily" ? (!r.enable_continuous_backup && r.lifecycle[0].delete_after == 30 && length(r.copy_action) == 0 && r.schedule == "cron(0 1 * * ? *)") : (r.enable_continuous_backup && r.lifecycle[0].delete_after <= 35)
    ])
    error_message = "daily: 30 days, no copies; continuous: PITR within 35 days"
  }

  assert {
    condition     = one(aws_backup_selection.this.selection_tag).key == "BackupPlan" && one(aws_backup_selection.this.selection_tag).value == "ngapp-test" && output.selection_tag.value == "ngapp-test"
    error_message = "default selection tag is BackupPlan=<name>"
  }

  assert {
    condition     = toset([for a in aws_iam_role_policy_attachment.this : a.policy_arn]) == toset(["arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup", "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"])
    error_message = "the backup role has the AWS managed backup and restore policies"
  }

  assert {
    condition     = length(aws_backup_vault_notifications.this) == 0
    error_message = "no notifications without a topic"
  }
}

run "given_key_compliance_lock_copy_and_topic" {
  command = plan

  variables {
    kms_key_arn            = "arn:aws:kms:af-south-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    vault_lock             = { mode = "compliance", min_retention_days = 7, max_retention_days = 100, changeable_for_days = 3 }
    continuous_backup      = false
    selection_tag          = { key = "Backup", value = "daily" }
    notification_topic_arn = "arn:aws:sns:af-south-1:123456789012:backup-events"
    allowed_copy_regions   = ["af-south-1"]
    copy_destinations = [{
      vault_arn      = "arn:aws:backup:af-south-1:210987654321:backup-vault:ngapp-dr"
      region         = "af-south-1"
      retention_days = 60
    }]
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && aws_backup_vault.this.kms_key_arn == var.kms_key_arn
    error_message = "a given key is used and none created"
  }

  assert {
    condition     = aws_backup_vault_lock_configuration.this[0].changeable_for_days == 3
    error_message = "compliance mode sets changeable_for_days"
  }

  assert {
    condition     = length(aws_backup_plan.this.rule) == 1 && flatten([for r in aws_backup_plan.this.rule : [for c in r.copy_action : c.destination_vault_arn] if r.rule_name == "daily"]) == ["arn:aws:backup:af-south-1:210987654321:backup-vault:ngapp-dr"]
    error_message = "one rule, copying to the destination vault"
  }

  assert {
    condition     = aws_backup_vault_notifications.this[0].sns_topic_arn == var.notification_topic_arn && contains(aws_backup_vault_notifications.this[0].backup_vault_events, "COPY_JOB_FAILED")
    error_message = "notifications go to the topic"
  }
}

run "copy_outside_allowed_regions_is_refused" {
  command = plan

  variables {
    allowed_copy_regions = ["af-south-1"]
    copy_destinations = [{
      vault_arn      = "arn:aws:backup:eu-west-1:123456789012:backup-vault:ngapp-dr"
      region         = "eu-west-1"
      retention_days = 30
    }]
  }

  expect_failures = [var.copy_destinations]
}

run "copy_refused_with_no_allowed_regions" {
  command = plan

  variables {
    copy_destinations = [{
      vault_arn      = "arn:aws:backup:af-south-1:123456789012:backup-vault:ngapp-dr"
      region         = "af-south-1"
      retention_days = 30
    }]
  }

  expect_failures = [var.copy_destinations]
}

run "copy_region_must_match_vault_arn" {
  command = plan

  variables {
    allowed_copy_regions = ["af-south-1"]
    copy_destinations = [{
      vault_arn      = "arn:aws:backup:eu-west-1:123456789012:backup-vault:ngapp-dr"
      region         = "af-south-1"
      retention_days = 30
    }]
  }

  expect_failures = [var.copy_destinations]
}

run "retention_below_seven_days_is_refused" {
  command = plan

  variables {
    retention_days = 5
  }

  expect_failures = [var.retention_days]
}

run "retention_outside_the_lock_is_refused" {
  command = plan

  variables {
    retention_days = 400
  }

  expect_failures = [var.retention_days]
}

run "compliance_without_grace_time_is_refused" {
  command = plan

  variables {
    vault_lock = { mode = "compliance", min_retention_days = 7, max_retention_days = 365 }
  }

  expect_failures = [var.vault_lock]
}

run "unknown_lock_mode_is_refused" {
  command = plan

  variables {
    vault_lock = { mode = "legal-hold", min_retention_days = 7, max_retention_days = 365 }
  }

  expect_failures = [var.vault_lock]
}

run "force_destroy_in_prod_is_refused" {
  command = plan

  variables {
    environment   = "prod"
    force_destroy = true
  }

  expect_failures = [var.force_destroy]
}

run "no_lock_and_no_continuous_rule" {
  command = plan

  variables {
    vault_lock        = null
    continuous_backup = false
    force_destroy     = true
  }

  assert {
    condition     = length(aws_backup_vault_lock_configuration.this) == 0 && length(aws_backup_plan.this.rule) == 1 && aws_backup_vault.this.force_destroy
    error_message = "vault_lock = null: no lock; continuous_backup = false: one rule; force_destroy passed on"
  }
}
