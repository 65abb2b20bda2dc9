# Only AZs enabled by default: opt-in Local Zones would break the subnet layout.
data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

module "vpc" {
  source = "../../modules/vpc"

  name = "${var.project}-${var.environment}"
  cidr = var.vpc_cidr
  # Sorted so the AZ -> subnet block mapping does not shift if the API reorders its answer.
  azs                     = slice(sort(data.aws_availability_zones.available.names), 0, var.az_count)
  single_nat_gateway      = var.single_nat_gateway
  flow_log_retention_days = var.flow_log_retention_days
}
