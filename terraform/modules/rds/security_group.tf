################################################################################
# Security group
################################################################################

# No egress rule: a database does not open connections. The provider removes the allow-all
# egress rule AWS adds to every new security group.
resource "aws_security_group" "this" {
  name        = "${var.identifier}-db"
  description = "PostgreSQL ${var.identifier}: database port in from the allowed security groups only, no egress"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.identifier}-db" })
}

# Keyed by position, not by ID: the IDs usually belong to security groups created in the same
# apply (the service's tasks, the rotation Lambda) and are unknown at plan time, while for_each
# keys must be known; the list's length is. Removing an entry from the middle of the list
# therefore re-creates the rules after it (a moment without access for those groups).
resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = { for i, id in var.allowed_security_group_ids : tostring(i) => id }

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from ${each.value}"
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
  referenced_security_group_id = each.value

  tags = merge(var.tags, { Name = "${var.identifier}-db-in-${each.key}" })
}
