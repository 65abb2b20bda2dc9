# Terraform outputs take no `type` argument, so each value is pinned with a to*() conversion.
# Lists are in the order of var.azs.

output "vpc_id" {
  description = "ID of the VPC."
  value       = tostring(aws_vpc.this.id)
}

output "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  value       = tostring(aws_vpc.this.cidr_block)
}

output "azs" {
  description = "Availability zones the subnets are spread over, in the order given."
  value       = tolist(var.azs)
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (list(string), one per AZ)."
  value       = tolist([for az in var.azs : aws_subnet.public[az].id])
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (list(string), one per AZ)."
  value       = tolist([for az in var.azs : aws_subnet.private[az].id])
}

output "database_subnet_ids" {
  description = "IDs of the database subnets (list(string), one per AZ); they have no internet route."
  value       = tolist([for az in var.azs : aws_subnet.database[az].id])
}

output "database_subnet_group_name" {
  description = "Name of the DB subnet group holding the database subnets."
  value       = tostring(aws_db_subnet_group.this.name)
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways (list(string)): one per AZ, one in total with single_nat_gateway, none when NAT is disabled."
  value       = tolist([for az in local.nat_azs : aws_nat_gateway.this[az].id])
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways (list(string)), the egress addresses to allow-list at third parties."
  value       = tolist([for az in local.nat_azs : aws_eip.nat[az].public_ip])
}

output "private_route_table_ids" {
  description = "IDs of the private route tables (list(string), one per AZ)."
  value       = tolist([for az in var.azs : aws_route_table.private[az].id])
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch log group receiving the VPC flow logs."
  value       = tostring(aws_cloudwatch_log_group.flow_logs.name)
}

output "flow_log_kms_key_arn" {
  description = "ARN of the KMS key encrypting the flow log group (the module's own key or the one passed in)."
  value       = tostring(local.flow_log_kms_key_arn)
}

output "s3_endpoint_id" {
  description = "ID of the S3 gateway VPC endpoint."
  value       = tostring(aws_vpc_endpoint.s3.id)
}

output "default_security_group_id" {
  description = "ID of the VPC's default security group, which has no rules."
  value       = tostring(aws_default_security_group.this.id)
}
