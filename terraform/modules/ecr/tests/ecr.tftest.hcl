# Unit tests with a mocked AWS provider: no credentials or network needed.
# Runs that assert on computed values (ARNs, URLs) use apply, which against mocks
# only fills in fake values.

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

  # Mocked attributes are random strings by default. The provider does not validate these
  # during plan, but real-looking values keep the output assertions meaningful.
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:af-south-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    }
  }

  mock_resource "aws_ecr_repository" {
    defaults = {
      arn            = "arn:aws:ecr:af-south-1:123456789012:repository/ngapp-test/api"
      registry_id    = "123456789012"
      repository_url = "123456789012.dkr.ecr.af-south-1.amazonaws.com/ngapp-test/api"
    }
  }

  # The real data source renders JSON; the mock would otherwise return a random string.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name = "ngapp-test/api"
}

run "defaults" {
  command = apply

  assert {
    condition     = aws_ecr_repository.this.name == "ngapp-test/api" && aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "The repository must be named after var.name and have immutable tags."
  }

  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push
    error_message = "Images must be scanned on push by default."
  }

  assert {
    condition     = !aws_ecr_repository.this.force_delete
    error_message = "force_delete must default to false."
  }

  assert {
    condition     = length(aws_kms_key.this) == 1 && aws_kms_key.this["ecr"].enable_key_rotation
    error_message = "Without kms_key_arn the module must create a rotating KMS key."
  }

  assert {
    condition     = length(aws_kms_alias.this) == 1 && aws_kms_alias.this["ecr"].name == "alias/ecr/ngapp-test-api" && aws_kms_alias.this["ecr"].target_key_id == aws_kms_key.this["ecr"].key_id
    error_message = "The module's key must get the alias alias/ecr/<name with / replaced by ->."
  }

  assert {
    condition = (
      aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS" &&
      aws_ecr_repository.this.encryption_configuration[0].kms_key == aws_kms_key.this["ecr"].arn
    )
    error_message = "The repository must be encrypted with the module's KMS key."
  }

  assert {
    condition     = aws_ecr_lifecycle_policy.this.repository == aws_ecr_repository.this.name
    error_message = "The lifecycle policy must be attached to the repository."
  }

  assert {
    condition = (
      output.repository_name == "ngapp-test/api" &&
      output.repository_arn == aws_ecr_repository.this.arn &&
      output.repository_url == "123456789012.dkr.ecr.af-south-1.amazonaws.com/ngapp-test/api" &&
      output.registry_id == "123456789012" &&
      output.kms_key_arn == aws_kms_key.this["ecr"].arn
    )
    error_message = "Outputs must expose the repository and the module's key."
  }
}

run "default_lifecycle_policy" {
  command = plan

  assert {
    condition     = length(jsondecode(aws_ecr_lifecycle_policy.this.policy).rules) == 3
    error_message = "The default policy must have the untagged rule and one rule per default prefix (v, sha-)."
  }

  assert {
    condition = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0] == {
      rulePriority = 1
      description  = "Expire untagged images 7 days after push"
      selection = {
        tagStatus   = "untagged"
        countType   = "sinceImagePushed"
        countUnit   = "days"
        countNumber = 7
      }
      action = { type = "expire" }
    }
    error_message = "Rule 1 must expire untagged images 7 days after push."
  }

  assert {
    condition = [for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : r.selection if r.selection.tagStatus == "tagged"] == [
      { tagStatus = "tagged", tagPrefixList = ["v"], countType = "imageCountMoreThan", countNumber = 30 },
      { tagStatus = "tagged", tagPrefixList = ["sha-"], countType = "imageCountMoreThan", countNumber = 30 },
    ]
    error_message = "Each default prefix must get a rule keeping its last 30 images."
  }

  assert {
    condition     = [for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : r.rulePriority] == [1, 2, 3] && alltrue([for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : r.action.type == "expire"])
    error_message = "Rules must be in ascending, unique priority order and all expire."
  }
}

run "custom_lifecycle_policy" {
  command = plan

  variables {
    release_tag_prefixes = ["release-"]
    keep_release_images  = 5
    untagged_expiry_days = 1
  }

  assert {
    condition     = length(jsondecode(aws_ecr_lifecycle_policy.this.policy).rules) == 2
    error_message = "One prefix must give exactly two rules."
  }

  assert {
    condition = (
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.tagStatus == "untagged" &&
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.countNumber == 1
    )
    error_message = "Rule 1 must expire untagged images after untagged_expiry_days."
  }

  assert {
    condition = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].selection == {
      tagStatus     = "tagged"
      tagPrefixList = ["release-"]
      countType     = "imageCountMoreThan"
      countNumber   = 5
    }
    error_message = "Rule 2 must keep the last keep_release_images images tagged release-*."
  }
}

run "external_kms_key" {
  command = plan

  variables {
    name         = "ngapp-prod/web.app"
    kms_key_arn  = "arn:aws:kms:af-south-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    scan_on_push = false
    force_delete = true
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && length(aws_kms_alias.this) == 0
    error_message = "A given kms_key_arn must stop the module creating its own key."
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].kms_key == var.kms_key_arn && output.kms_key_arn == var.kms_key_arn
    error_message = "The repository must be encrypted with, and output, the given key."
  }

  assert {
    condition     = !aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push && aws_ecr_repository.this.force_delete
    error_message = "scan_on_push and force_delete must be passed through."
  }
}

run "alias_flattens_dots_and_slashes" {
  command = plan

  variables {
    name = "ngapp-dev/api.v2/worker"
  }

  assert {
    condition     = aws_kms_alias.this["ecr"].name == "alias/ecr/ngapp-dev-api-v2-worker"
    error_message = "'/' and '.' (not allowed in KMS alias names) must become '-' in the alias."
  }
}

run "tags_on_every_taggable_resource" {
  command = plan

  variables {
    tags = { Component = "api" }
  }

  assert {
    condition     = aws_ecr_repository.this.tags.Component == "api" && aws_kms_key.this["ecr"].tags.Component == "api"
    error_message = "tags must reach the repository and the KMS key."
  }
}

run "rejects_bad_name" {
  command = plan

  variables {
    name = "Bad_Name!"
  }

  expect_failures = [var.name]
}

run "rejects_one_character_name" {
  command = plan

  variables {
    name = "a"
  }

  expect_failures = [var.name]
}

run "rejects_name_too_long_for_alias" {
  command = plan

  variables {
    name = join("", [for i in range(247) : "a"])
  }

  expect_failures = [var.name]
}

run "rejects_bad_kms_key_arn" {
  command = plan

  variables {
    kms_key_arn = "alias/ecr/ngapp-test-api"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_keep_release_images_0" {
  command = plan

  variables {
    keep_release_images = 0
  }

  expect_failures = [var.keep_release_images]
}

run "rejects_untagged_expiry_days_0" {
  command = plan

  variables {
    untagged_expiry_days = 0
  }

  expect_failures = [var.untagged_expiry_days]
}

run "rejects_empty_release_tag_prefixes" {
  command = plan

  variables {
    release_tag_prefixes = []
  }

  expect_failures = [var.release_tag_prefixes]
}

run "rejects_empty_or_duplicate_prefix" {
  command = plan

  variables {
    release_tag_prefixes = ["v", "v", ""]
  }

  expect_failures = [var.release_tag_prefixes]
}

run "accepts_longest_names" {
  command = plan

  variables {
    name = join("", [for i in range(246) : "a"])
  }

  assert {
    condition     = length(aws_kms_alias.this["ecr"].name) == 256
    error_message = "A 246-character name must give a 256-character alias, KMS's maximum."
  }
}

run "accepts_256_character_name_with_own_key" {
  command = plan

  variables {
    name        = join("", [for i in range(256) : "a"])
    kms_key_arn = "arn:aws:kms:af-south-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = length(aws_ecr_repository.this.name) == 256
    error_message = "With kms_key_arn given, names up to ECR's 256-character limit must be accepted."
  }
}
