# staging: production's shape at a smaller size. Two tasks so deploys roll without a gap;
# one NAT gateway to save money; on-demand capacity only, like prod.
az_count            = 3
single_nat_gateway  = true
desired_count       = 2
min_capacity        = 2
max_capacity        = 4
fargate_spot_weight = 0
# Data tier: one read replica, two cache nodes (automatic failover across AZs).
database_read_replica_count = 1
cache_nodes                 = 2
# Cost guardrail: monthly budget of the environment's tagged costs, in USD.
monthly_budget_usd = 400
