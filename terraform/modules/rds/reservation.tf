################################################################################
# Reserved capacity (opt-in, docs/adr/0006)
################################################################################

locals {
  # The ID comes from the settings, never from the time: the same settings always ask for the
  # same ID, and AWS refuses a second reservation under an ID the account holds
  # (ReservedDBInstanceAlreadyExists), so a re-created environment or a replacement cannot buy
  # the capacity twice by accident.
  reservation_id = coalesce(
    var.reservation.id,
    "${var.identifier}-${var.reservation.duration_years}y-${lower(split(" ", var.reservation.offering_type)[0])}-upfront",
  )

  # Empty when disabled: neither the offering is looked up nor anything bought.
  reservation_keys = var.reservation.enabled ? toset([local.reservation_id]) : toset([])

  # Instances the offering (instance_class, multi_az) matches: the primary, and the replicas
  # when they are of its class and the primary is single-AZ (replicas are always single-AZ).
  reservable_instances = 1 + (
    !var.multi_az && coalesce(var.replica_instance_class, var.instance_class) == var.instance_class ? var.read_replica_count : 0
  )
}

data "aws_rds_reserved_instance_offering" "this" {
  for_each = local.reservation_keys

  db_instance_class   = var.instance_class
  duration            = var.reservation.duration_years * 31536000
  multi_az            = var.multi_az
  offering_type       = var.reservation.offering_type
  product_description = "postgresql"
}

# Deleting it only removes it from state (the provider's delete does nothing): the reservation
# runs, and is billed, until its term ends.
resource "aws_rds_reserved_instance" "this" {
  for_each = local.reservation_keys

  offering_id    = data.aws_rds_reserved_instance_offering.this[each.key].offering_id
  reservation_id = each.key
  instance_count = var.reservation.instance_count

  tags = merge(var.tags, { Name = each.key })
}

# A warning, not an error: refusing the plan would also block lowering read_replica_count below
# a reservation bought earlier, which is then paid for anyway.
check "reservation_matches_instances" {
  assert {
    condition     = !var.reservation.enabled || var.reservation.instance_count <= local.reservable_instances
    error_message = "reservation.instance_count (${var.reservation.instance_count}) is more than the ${local.reservable_instances} instance(s) of ${var.instance_class} (${var.multi_az ? "Multi-AZ" : "single-AZ"}) the module runs: the surplus is paid for and unused."
  }
}
