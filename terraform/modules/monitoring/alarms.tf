################################################################################
# CloudWatch alarms on the AWS-managed parts
################################################################################

# Severity travels twice: as the `severity` tag (inventory, cost reports, the console) and as the
# "[page]" / "[ticket]" prefix of the description, because an alarm's SNS message carries its
# description but not its tags; the forwarder pages PagerDuty for "[page]" and posts every
# alarm to Slack.
#
# treat_missing_data, by kind of metric:
# - counts (5xx, evictions): CloudWatch publishes no datapoint for zero events -> notBreaching;
# - gauges (CPU, storage, connections, memory, unhealthy hosts) -> missing: a resource that
#   stops reporting (maintenance, a stopped dev instance) goes to INSUFFICIENT_DATA, which
#   notifies nobody; whether users are served is what the ALB alarms watch;
# - replica lag -> breaching: a replica that stops reporting its lag is not replicating.

locals {
  alarm_prefix = var.name

  db_alarms = merge(
    {
      for id in var.db_instance_identifiers : "db-cpu-${id}" => {
        namespace   = "AWS/RDS"
        metric      = "CPUUtilization"
        statistic   = "Average"
        comparison  = "GreaterThanThreshold"
        threshold   = var.thresholds.db_cpu_percent
        period      = 300
        periods     = 3
        dimensions  = { DBInstanceIdentifier = id }
        severity    = "ticket"
        missing     = "missing"
        description = "CPU of RDS instance ${id} above ${var.thresholds.db_cpu_percent}% for 15 minutes"
      }
    },
    {
      for id in var.db_instance_identifiers : "db-free-storage-${id}" => {
        namespace   = "AWS/RDS"
        metric      = "FreeStorageSpace"
        statistic   = "Average"
        comparison  = "LessThanThreshold"
        threshold   = var.thresholds.db_free_storage_bytes
        period      = 300
        periods     = 3
        dimensions  = { DBInstanceIdentifier = id }
        severity    = "page"
        missing     = "missing"
        description = "Free storage of RDS instance ${id} below ${var.thresholds.db_free_storage_bytes} bytes: writes stop when it is full"
      }
    },
    {
      for id in var.db_instance_identifiers : "db-connections-${id}" => {
        namespace   = "AWS/RDS"
        metric      = "DatabaseConnections"
        statistic   = "Maximum"
        comparison  = "GreaterThanThreshold"
        threshold   = var.thresholds.db_connections
        period      = 300
        periods     = 3
        dimensions  = { DBInstanceIdentifier = id }
        severity    = "ticket"
        missing     = "missing"
        description = "Connections to RDS instance ${id} above ${var.thresholds.db_connections} for 15 minutes"
      }
    },
    {
      for id in var.db_replica_identifiers : "db-replica-lag-${id}" => {
        namespace   = "AWS/RDS"
        metric      = "ReplicaLag"
        statistic   = "Maximum"
        comparison  = "GreaterThanThreshold"
        threshold   = var.thresholds.db_replica_lag_seconds
        period      = 300
        periods     = 2
        dimensions  = { DBInstanceIdentifier = id }
        severity    = "ticket"
        missing     = "breaching"
        description = "Replica ${id} more than ${var.thresholds.db_replica_lag_seconds} s behind (or not reporting) for 10 minutes: reads are stale"
      }
    },
  )

  # Node-level metrics of cluster-mode-disabled members: one node, "0001", per member cluster.
  cache_alarms = merge(
    {
      for id in var.cache_member_cluster_ids : "cache-cpu-${id}" => {
        namespace   = "AWS/ElastiCache"
        metric      = "EngineCPUUtilization"
        statistic   = "Average"
        comparison  = "GreaterThanThreshold"
        threshold   = var.thresholds.cache_cpu_percent
        period      = 300
        periods     = 3
        dimensions  = { CacheClusterId = id, CacheNodeId = "0001" }
        severity    = "ticket"
        missing     = "missing"
        description = "Redis engine CPU of ${id} (${var.cache_replication_group_id}) above ${var.thresholds.cache_cpu_percent}% for 15 minutes"
      }
    },
    {
      for id in var.cache_member_cluster_ids : "cache-memory-${id}" => {
        namespace   = "AWS/ElastiCache"
        metric      = "DatabaseMemoryUsagePercentage"
        statistic   = "Average"
        comparison  = "GreaterThanThreshold"
        threshold   = var.thresholds.cache_memory_percent
        period      = 300
        periods     = 3
        dimensions  = { CacheClusterId = id, CacheNodeId = "0001" }
        severity    = "page"
        missing     = "missing"
        description = "Redis memory of ${id} (${var.cache_replication_group_id}) above ${var.thresholds.cache_memory_percent}% for 15 minutes: keys are being evicted or writes refused"
      }
    },
    {
      for id in var.cache_member_cluster_ids : "cache-evictions-${id}" => {
        namespace   = "AWS/ElastiCache"
        metric      = "Evictions"
        statistic   = "Sum"
        comparison  = "GreaterThanThreshold"
        threshold   = var.thresholds.cache_evictions
        period      = 300
        periods     = 1
        dimensions  = { CacheClusterId = id, CacheNodeId = "0001" }
        severity    = "ticket"
        missing     = "notBreaching"
        description = "More than ${var.thresholds.cache_evictions} keys evicted from ${id} (${var.cache_replication_group_id}) in 5 minutes"
      }
    },
  )

  alb_alarms = {
    alb-5xx = {
      namespace   = "AWS/ApplicationELB"
      metric      = "HTTPCode_ELB_5XX_Count"
      statistic   = "Sum"
      comparison  = "GreaterThanThreshold"
      threshold   = var.thresholds.alb_5xx_count
      period      = 300
      periods     = 1
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      severity    = "page"
      missing     = "notBreaching"
      description = "More than ${var.thresholds.alb_5xx_count} 5xx answers from the load balancer itself in 5 minutes (no healthy target, timeouts)"
    }
    target-5xx = {
      namespace   = "AWS/ApplicationELB"
      metric      = "HTTPCode_Target_5XX_Count"
      statistic   = "Sum"
      comparison  = "GreaterThanThreshold"
      threshold   = var.thresholds.target_5xx_count
      period      = 300
      periods     = 1
      dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
      severity    = "page"
      missing     = "notBreaching"
      description = "More than ${var.thresholds.target_5xx_count} 5xx answers from the service's tasks in 5 minutes"
    }
    unhealthy-hosts = {
      namespace   = "AWS/ApplicationELB"
      metric      = "UnHealthyHostCount"
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = 0
      period      = 60
      periods     = var.thresholds.unhealthy_hosts_minutes
      dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
      severity    = "page"
      missing     = "missing"
      description = "A task of the service failed its health checks for ${var.thresholds.unhealthy_hosts_minutes} minutes in a row"
    }
  }

  alarms = merge(local.db_alarms, local.cache_alarms, local.alb_alarms)
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${local.alarm_prefix}-${each.key}"
  alarm_description   = "[${each.value.severity}] ${each.value.description}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  period              = each.value.period
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.periods
  dimensions          = each.value.dimensions
  treat_missing_data  = each.value.missing

  alarm_actions = [aws_sns_topic.alarms.arn]
  ok_actions    = [aws_sns_topic.alarms.arn]

  tags = merge(var.tags, { Name = "${local.alarm_prefix}-${each.key}", severity = each.value.severity })
}
