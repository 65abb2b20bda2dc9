# dev: the smallest useful environment. One task, one NAT gateway, spot capacity welcome.
# (vpc_cidr, region and tags come from infra.toml.)
az_count            = 3
single_nat_gateway  = true
desired_count       = 1
min_capacity        = 1
max_capacity        = 2
fargate_base        = 0
fargate_weight      = 1
fargate_spot_weight = 3
force_delete_images = true
# Data tier: single-AZ database without replicas, one cache node.
database_read_replica_count = 0
cache_nodes                 = 1
# Cost guardrail: monthly budget of the environment's tagged costs, in USD.
monthly_budget_usd = 150
