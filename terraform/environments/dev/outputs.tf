# Terraform outputs take no `type` argument; the module already pins these types.

output "vpc_id" {
  description = "ID of the VPC (string)."
  value       = module.vpc.vpc_id
}

output "azs" {
  description = "Availability zones in use (list(string))."
  value       = module.vpc.azs
}

output "public_subnet_ids" {
  description = "Public subnet IDs in AZ order (list(string))."
  value       = module.vpc.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnet IDs in AZ order (list(string))."
  value       = module.vpc.private_subnet_ids
}

output "database_subnet_ids" {
  description = "Database subnet IDs in AZ order (list(string)); no internet route."
  value       = module.vpc.database_subnet_ids
}

output "nat_gateway_ids" {
  description = "NAT gateway IDs (list(string)); one when single_nat_gateway is true."
  value       = module.vpc.nat_gateway_ids
}
