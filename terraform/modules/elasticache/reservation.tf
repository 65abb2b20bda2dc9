################################################################################
# Reserved capacity (opt-in, docs/adr/0006)
################################################################################

locals {
  # The ID comes from the settings, never from the time: the same settings always ask for the
  # same ID, and AWS refuses a second reservation under an ID the account holds
  # (ReservedCacheNodeAlreadyExists), so a re-created environment or a replacement cannot buy
  # the capacity twice by accident.
  reservation_id = coalesce(
    var.reservation.id,
    "${var.name}-${var.reservation.duration_years}y-${lower(split(" ", var.reservation.offering_type)[0])}-upfront",
  )

  # Empty when disabled: neither the offering is looked up nor anything bought.
  reservation_keys = var.reservation.enabled ? toset([local.reservation_id]) : toset([])
}

data "aws_elasticache_reserved_cache_node_offering" "this" {
  for_each = local.reservation_keys

  cache_node_type = var.node_type
  # RFC 3339 durations: the provider accepts "P1Y" and "P3Y" only.
  duration            = "P${var.reservation.duration_years}Y"
  offering_type       = var.reservation.offering_type
  product_description = var.engine
}

# Deleting it only removes it from state (the provider's delete does nothing): the reservation
# runs, and is billed, until its term ends.
resource "aws_elasticache_reserved_cache_node" "this" {
  for_each = local.reservation_keys

  reserved_cache_nodes_offering_id = data.aws_elasticache_reserved_cache_node_offering.this[each.key].offering_id
  id                               = each.key
  cache_node_count                 = var.reservation.node_count

  tags = merge(var.tags, { Name = each.key })
}

# A warning, not an error: refusing the plan would also block lowering num_cache_clusters below
# a reservation bought earlier, which is then paid for anyway.
check "reservation_matches_nodes" {
  assert {
    condition     = !var.reservation.enabled || var.reservation.node_count <= var.num_cache_clusters
    error_message = "reservation.node_count (${var.reservation.node_count}) is more than the ${var.num_cache_clusters} node(s) of ${var.node_type} the group runs: the surplus is paid for and unused."
  }
}
