output "url" {
  description = "HTTPS address of the preview (its zone must be delegated from the parent domain to resolve publicly)."
  value       = "https://${aws_route53_record.service.fqdn}"
}

output "vpc_id" {
  description = "ID of the preview's VPC."
  value       = module.vpc.vpc_id
}

output "vpc_cidr" {
  description = "IPv4 CIDR of the preview's VPC."
  value       = module.vpc.vpc_cidr
}

output "cluster_name" {
  description = "ECS cluster of the preview (also its service and task family name)."
  value       = module.service.cluster_name
}

output "alb_dns_name" {
  description = "DNS name of the preview's load balancer."
  value       = module.service.alb_dns_name
}

output "zone_name_servers" {
  description = "Name servers of the preview's zone, to delegate pr-<N>.preview.<domain> to."
  value       = aws_route53_zone.this.name_servers
}
