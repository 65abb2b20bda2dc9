# prod: three tasks over three AZs, a NAT gateway per AZ, load balancer deletion protection,
# scaling on requests as well as CPU and memory, and a year of flow logs.
az_count                = 3
single_nat_gateway      = false
desired_count           = 3
min_capacity            = 3
max_capacity            = 12
cpu                     = 512
memory                  = 1024
fargate_spot_weight     = 0
requests_per_target     = 500
deletion_protection     = true
flow_log_retention_days = 365
# Data tier: multi-AZ primary with two read replicas; three cache nodes over three AZs.
database_multi_az           = true
database_instance_class     = "db.t4g.medium"
database_allocated_storage  = 50
database_read_replica_count = 2
cache_node_type             = "cache.t4g.small"
cache_nodes                 = 3
final_snapshots             = true
# Cost guardrail: monthly budget of the environment's tagged costs, in USD.
monthly_budget_usd = 2500
flags_bake_minutes = 10 # a flag change in prod is watched for 10 minutes before it counts
