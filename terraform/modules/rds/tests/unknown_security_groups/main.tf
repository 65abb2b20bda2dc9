# Test fixture: the module given a security group created in the same plan, whose ID is unknown
# until apply, as the ECS service's task group is in an environment root. Planning it proves the
# ingress rules' for_each keys do not depend on the IDs.

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

resource "aws_security_group" "tasks" {
  name        = "ngapp-test-api-service"
  description = "Stand-in for the ECS service's tasks"
  vpc_id      = "vpc-0123456789abcdef0"
}

module "rds" {
  source = "../.."

  identifier                 = "ngapp-test-db"
  environment                = "dev"
  vpc_id                     = "vpc-0123456789abcdef0"
  db_subnet_group_name       = "ngapp-test"
  allowed_security_group_ids = [aws_security_group.tasks.id, "sg-0aaaaaaaaaaaaaaa2"]
  kms_key_arn                = "arn:aws:kms:af-south-1:123456789012:key/00000000-0000-0000-0000-000000000000"
}


output "security_group_id" {
  description = "The module's security_group_id (string)."
  value       = module.rds.security_group_id
}
