# Unit tests with a mocked AWS provider: no credentials or network needed.
# Most runs plan only; runs that assert on computed values (ARNs, ARN suffixes) use apply,
# which against mocks only fills in fake values.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      name = "af-south-1"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:root"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }

  mock_data "aws_elb_service_account" {
    defaults = {
      id  = "098369216593"
      arn = "arn:aws:iam::098369216593:root"
    }
  }

  # The real data source renders JSON; the mock would otherwise return a random string, which
  # the provider's JSON validation of IAM and bucket policies rejects.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  # Mocked ARNs are random strings by default, but the provider still validates ARN arguments
  # (task definition roles, log group KMS key, listener and service target groups), so give
  # real-looking ones.
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/ngapp-test-api"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:af-south-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:af-south-1:123456789012:log-group:/ecs/ngapp-test-api"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::ngapp-test-api-alb-logs"
    }
  }

  mock_resource "aws_lb" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:af-south-1:123456789012:loadbalancer/app/ngapp-test-api/50dc6c495c0c9188"
      arn_suffix = "app/ngapp-test-api/50dc6c495c0c9188"
      dns_name   = "ngapp-test-api-1234567890.af-south-1.elb.amazonaws.com"
      zone_id    = "Z268VQBMOI5EKX"
    }
  }

  mock_resource "aws_lb_target_group" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:af-south-1:123456789012:targetgroup/ngapp-test-api/73e2d6bc24d8a067"
      arn_suffix = "targetgroup/ngapp-test-api/73e2d6bc24d8a067"
    }
  }

  mock_resource "aws_ecs_cluster" {
    defaults = {
      arn = "arn:aws:ecs:af-south-1:123456789012:cluster/ngapp-test-api"
    }
  }

  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn = "arn:aws:ecs:af-south-1:123456789012:task-definition/ngapp-test-api:1"
    }
  }

  mock_resource "aws_ecs_service" {
    defaults = {
      id = "arn:aws:ecs:af-south-1:123456789012:service/ngapp-test-api/ngapp-test-api"
    }
  }

  mock_resource "aws_security_group" {
    defaults = {
      id = "sg-0123456789abcdef0"
    }
  }
}

variables {
  name                        = "ngapp-test-api"
  environment                 = "dev"
  vpc_id                      = "vpc-0123456789abcdef0"
  public_subnet_ids           = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
  private_subnet_ids          = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
  certificate_arn             = "arn:aws:acm:af-south-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  container_image             = "123456789012.dkr.ecr.af-south-1.amazonaws.com/ngapp-api:1.0.0"
  alb_access_logs_bucket_name = "ngapp-test-api-alb-logs"
  release_parameter_prefix    = "/ngapp/test"
}

################################################################################
# Defaults
################################################################################

run "defaults" {
  command = plan

  # Deployment safety
  assert {
    condition     = aws_ecs_service.this.deployment_circuit_breaker[0].enable && aws_ecs_service.this.deployment_circuit_breaker[0].rollback
    error_message = "The deployment circuit breaker must be on, with rollback."
  }

  assert {
    condition     = aws_ecs_service.this.deployment_minimum_healthy_percent == 100 && aws_ecs_service.this.deployment_maximum_percent == 200
    error_message = "Deployments must default to 100% minimum healthy and 200% maximum."
  }

  assert {
    condition     = aws_ecs_service.this.availability_zone_rebalancing == "ENABLED"
    error_message = "Tasks must be kept spread across AZs."
  }

  assert {
    condition     = aws_ecs_service.this.deployment_controller[0].type == "ECS" && !aws_ecs_service.this.wait_for_steady_state && aws_ecs_service.this.desired_count == 2
    error_message = "The service must use the ECS rolling controller, not wait for steady state, and start 2 tasks."
  }

  assert {
    condition     = aws_ecs_service.this.health_check_grace_period_seconds == 60 && aws_ecs_service.this.propagate_tags == "SERVICE" && aws_ecs_service.this.enable_ecs_managed_tags
    error_message = "The service must have a 60 s grace period and propagate its tags to tasks."
  }

  assert {
    condition = (
      one(aws_ecs_service.this.network_configuration).assign_public_ip == false &&
      one(aws_ecs_service.this.network_configuration).subnets == toset(var.private_subnet_ids)
    )
    error_message = "Tasks must run in the private subnets without public IPs."
  }

  assert {
    condition = (
      one(aws_ecs_service.this.load_balancer).container_name == "app" &&
      one(aws_ecs_service.this.load_balancer).container_port == 8080
    )
    error_message = "The service must register container \"app\" on port 8080 in the target group."
  }

  # Cluster and capacity providers
  assert {
    condition     = one([for s in aws_ecs_cluster.this.setting : s.value if s.name == "containerInsights"]) == "enabled"
    error_message = "Container Insights must be enabled on the cluster."
  }

  assert {
    condition     = aws_ecs_cluster_capacity_providers.this.capacity_providers == toset(["FARGATE", "FARGATE_SPOT"])
    error_message = "The cluster must have both Fargate capacity providers."
  }

  assert {
    condition = (
      length(aws_ecs_service.this.capacity_provider_strategy) == 1 &&
      one(aws_ecs_service.this.capacity_provider_strategy).capacity_provider == "FARGATE" &&
      one(aws_ecs_service.this.capacity_provider_strategy).weight == 1 &&
      one(aws_ecs_service.this.capacity_provider_strategy).base == 1
    )
    error_message = "By default every task must run on on-demand FARGATE (weight 1, base 1), none on Spot."
  }

  assert {
    condition     = length(aws_ecs_cluster_capacity_providers.this.default_capacity_provider_strategy) == 1
    error_message = "The cluster default strategy must match the service strategy (FARGATE only)."
  }

  # Load balancer
  assert {
    condition = (
      aws_lb_listener.https.port == 443 && aws_lb_listener.https.protocol == "HTTPS" &&
      aws_lb_listener.https.certificate_arn == var.certificate_arn &&
      aws_lb_listener.https.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06" &&
      aws_lb_listener.https.default_action[0].type == "forward"
    )
    error_message = "The HTTPS listener must serve the certificate with the TLS 1.3/1.2 policy and forward to the target group."
  }

  assert {
    condition = (
      aws_lb_listener.http.port == 80 &&
      aws_lb_listener.http.default_action[0].type == "redirect" &&
      aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS" &&
      aws_lb_listener.http.default_action[0].redirect[0].port == "443" &&
      aws_lb_listener.http.default_action[0].redirect[0].status_code == "HTTP_301"
    )
    error_message = "The HTTP listener must redirect to HTTPS with a 301."
  }

  assert {
    condition = (
      aws_lb_target_group.this.target_type == "ip" && aws_lb_target_group.this.port == 8080 &&
      aws_lb_target_group.this.protocol == "HTTP" &&
      aws_lb_target_group.this.health_check[0].path == "/health" &&
      aws_lb_target_group.this.health_check[0].matcher == "200" &&
      aws_lb_target_group.this.deregistration_delay == "30"
    )
    error_message = "The target group must be an IP group on 8080 checking /health for 200, with a 30 s deregistration delay."
  }

  assert {
    condition = (
      aws_lb.this.load_balancer_type == "application" && !aws_lb.this.internal &&
      aws_lb.this.drop_invalid_header_fields && !aws_lb.this.enable_deletion_protection &&
      aws_lb.this.subnets == toset(var.public_subnet_ids)
    )
    error_message = "The ALB must be internet-facing in the public subnets, drop invalid headers and default to no deletion protection."
  }

  assert {
    condition = (
      aws_lb.this.access_logs[0].enabled &&
      aws_lb.this.access_logs[0].bucket == "ngapp-test-api-alb-logs" &&
      aws_lb.this.access_logs[0].prefix == "ngapp-test-api"
    )
    error_message = "ALB access logs must be enabled into the module's bucket under the service's prefix."
  }

  # Security groups
  assert {
    condition = (
      length(aws_vpc_security_group_ingress_rule.alb) == 2 &&
      toset([for r in aws_vpc_security_group_ingress_rule.alb : r.from_port]) == toset([80, 443]) &&
      alltrue([for r in aws_vpc_security_group_ingress_rule.alb : r.cidr_ipv4 == "0.0.0.0/0" && r.to_port == r.from_port])
    )
    error_message = "The ALB must accept 80 and 443 from the allowed CIDRs (0.0.0.0/0 by default), nothing else."
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.service_from_alb.from_port == 8080 &&
      aws_vpc_security_group_ingress_rule.service_from_alb.to_port == 8080 &&
      aws_vpc_security_group_ingress_rule.service_from_alb.cidr_ipv4 == null &&
      aws_vpc_security_group_egress_rule.alb_to_service.from_port == 8080 &&
      aws_vpc_security_group_egress_rule.service_https.from_port == 443 &&
      aws_vpc_security_group_egress_rule.service_https.to_port == 443
    )
    error_message = "Tasks must accept only the container port (from the ALB's group) and send only HTTPS."
  }

  # Task definition
  assert {
    condition = (
      aws_ecs_task_definition.this.cpu == "256" && aws_ecs_task_definition.this.memory == "512" &&
      aws_ecs_task_definition.this.network_mode == "awsvpc" &&
      aws_ecs_task_definition.this.requires_compatibilities == toset(["FARGATE"]) &&
      aws_ecs_task_definition.this.runtime_platform[0].operating_system_family == "LINUX" &&
      aws_ecs_task_definition.this.runtime_platform[0].cpu_architecture == "X86_64"
    )
    error_message = "The task must be a 256 CPU / 512 MiB Linux x86_64 Fargate task in awsvpc mode."
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem == true &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].user == "1000:1000" &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].essential == true &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].linuxParameters.initProcessEnabled == true
    )
    error_message = "The container must run as 1000:1000 on a read-only root filesystem, with an init process."
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].mountPoints[0].containerPath == "/tmp" &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].mountPoints[0].sourceVolume == "tmp" &&
      one(aws_ecs_task_definition.this.volume).name == "tmp"
    )
    error_message = "A read-only root filesystem must come with a writable tmp volume on /tmp."
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.command == ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/health || exit 1"] &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.startPeriod == 60
    )
    error_message = "The default container health check must probe the container port and health path, starting after the grace period."
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.logDriver == "awslogs" &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.options["awslogs-group"] == "/ecs/ngapp-test-api" &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.options["awslogs-region"] == "af-south-1"
    )
    error_message = "The container must log to /ecs/<name> in the service's region."
  }

  assert {
    condition     = !contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "secrets") && !contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "environment")
    error_message = "Without inputs the container definition must carry no empty environment or secrets lists."
  }

  # Autoscaling
  assert {
    condition = (
      aws_appautoscaling_target.this.min_capacity == 2 && aws_appautoscaling_target.this.max_capacity == 6 &&
      aws_appautoscaling_target.this.scalable_dimension == "ecs:service:DesiredCount" &&
      aws_appautoscaling_target.this.resource_id == "service/ngapp-test-api/ngapp-test-api"
    )
    error_message = "The scalable target must cover the service from 2 to 6 tasks."
  }

  assert {
    condition = (
      aws_appautoscaling_policy.cpu.policy_type == "TargetTrackingScaling" &&
      aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration[0].target_value == 60 &&
      aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageCPUUtilization" &&
      aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration[0].scale_in_cooldown == 300 &&
      aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration[0].scale_out_cooldown == 60 &&
      !aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration[0].disable_scale_in
    )
    error_message = "The CPU policy must track 60% average CPU with 300 s scale-in and 60 s scale-out cool-downs."
  }

  assert {
    condition = (
      aws_appautoscaling_policy.memory.target_tracking_scaling_policy_configuration[0].target_value == 70 &&
      aws_appautoscaling_policy.memory.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageMemoryUtilization"
    )
    error_message = "The memory policy must track 70% average memory."
  }

  assert {
    condition     = length(aws_appautoscaling_policy.requests) == 0
    error_message = "Without requests_per_target there must be no request-count policy."
  }

  # Logs and the access-logs bucket
  assert {
    condition = (
      aws_cloudwatch_log_group.this.name == "/ecs/ngapp-test-api" &&
      aws_cloudwatch_log_group.this.retention_in_days == 30 &&
      length(aws_kms_key.this) == 1 && aws_kms_key.this["logs"].enable_key_rotation
    )
    error_message = "The log group must keep 30 days and be encrypted with a rotating module-owned key."
  }

  assert {
    condition = (
      one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256" &&
      aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled" &&
      aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced" &&
      aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.block_public_policy &&
      aws_s3_bucket_public_access_block.this.ignore_public_acls && aws_s3_bucket_public_access_block.this.restrict_public_buckets
    )
    error_message = "The access-logs bucket must use SSE-S3, versioning, owner-enforced ownership and a full public access block."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this.rule[0].expiration[0].days == 90 && aws_s3_bucket.this.force_destroy
    error_message = "Access logs must expire after 90 days, and an unprotected bucket may be destroyed with its logs."
  }

  assert {
    condition     = aws_s3_bucket.this.tags.DataClassification == "personal"
    error_message = "The access-logs bucket holds client IPs and must be tagged DataClassification = personal."
  }

  # IAM and release record
  assert {
    condition     = [for s in data.aws_iam_policy_document.execution.statement : s.sid] == ["AuthenticateToEcr", "PullImages", "WriteContainerLogs"]
    error_message = "Without secrets the execution role may only authenticate to ECR, pull images and write logs."
  }

  assert {
    condition     = data.aws_iam_policy_document.execution.statement[2].resources == toset(["arn:aws:logs:af-south-1:123456789012:log-group:/ecs/ngapp-test-api", "arn:aws:logs:af-south-1:123456789012:log-group:/ecs/ngapp-test-api:*"])
    error_message = "The execution role may write to this service's log group only."
  }

  assert {
    condition     = one(data.aws_iam_policy_document.ecs_tasks_assume.statement[0].condition).variable == "aws:SourceAccount"
    error_message = "The roles' trust policy must be limited to this account with aws:SourceAccount."
  }

  assert {
    condition     = length(aws_iam_role_policy.task) == 0
    error_message = "The task role must have no policy by default."
  }

  assert {
    condition     = aws_ssm_parameter.release.name == "/ngapp/test/ngapp-test-api/release" && aws_ssm_parameter.release.type == "String"
    error_message = "The release parameter must be a String at <prefix>/<name>/release."
  }
}

################################################################################
# Variations
################################################################################

run "secrets_and_environment" {
  command = plan

  variables {
    environment_variables = { LOG_LEVEL = "info", APP_ENV = "test" }
    secrets = {
      DB_PASSWORD = "arn:aws:secretsmanager:af-south-1:123456789012:secret:ngapp/test/db-AbCdEf:password::"
      API_KEY     = "arn:aws:ssm:af-south-1:123456789012:parameter/ngapp/test/api-key"
    }
    secrets_kms_key_arns = ["arn:aws:kms:af-south-1:123456789012:key/22222222-3333-4444-5555-666666666666"]
  }

  assert {
    condition = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets == [
      { name = "API_KEY", valueFrom = "arn:aws:ssm:af-south-1:123456789012:parameter/ngapp/test/api-key" },
      { name = "DB_PASSWORD", valueFrom = "arn:aws:secretsmanager:af-south-1:123456789012:secret:ngapp/test/db-AbCdEf:password::" },
    ]
    error_message = "Secrets must be rendered, sorted by name, as name/valueFrom pairs."
  }

  assert {
    condition = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment == [
      { name = "APP_ENV", value = "test" },
      { name = "LOG_LEVEL", value = "info" },
    ]
    error_message = "Environment variables must be rendered, sorted by name, as name/value pairs."
  }

  assert {
    condition = (
      [for s in data.aws_iam_policy_document.execution.statement : s.sid] == ["AuthenticateToEcr", "PullImages", "WriteContainerLogs", "ReadSecrets", "ReadParameters", "DecryptSecrets"] &&
      data.aws_iam_policy_document.execution.statement[3].resources == toset(["arn:aws:secretsmanager:af-south-1:123456789012:secret:ngapp/test/db-AbCdEf"]) &&
      data.aws_iam_policy_document.execution.statement[4].resources == toset(["arn:aws:ssm:af-south-1:123456789012:parameter/ngapp/test/api-key"]) &&
      data.aws_iam_policy_document.execution.statement[5].resources == toset(var.secrets_kms_key_arns)
    )
    error_message = "The execution role must read exactly the given secret (without the JSON-key tail) and parameter, and decrypt with the given key."
  }
}

run "requests_policy_and_outputs" {
  command = apply
  # Own state, so the plan-only runs below start from nothing; "apply_keeps_deployment" reuses it.
  state_key = "applied"

  variables {
    requests_per_target = 500
  }

  assert {
    condition = (
      length(aws_appautoscaling_policy.requests) == 1 &&
      aws_appautoscaling_policy.requests["requests"].target_tracking_scaling_policy_configuration[0].target_value == 500 &&
      aws_appautoscaling_policy.requests["requests"].target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ALBRequestCountPerTarget"
    )
    error_message = "requests_per_target must add an ALBRequestCountPerTarget policy with that target."
  }

  assert {
    condition     = aws_appautoscaling_policy.requests["requests"].target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].resource_label == "app/ngapp-test-api/50dc6c495c0c9188/targetgroup/ngapp-test-api/73e2d6bc24d8a067"
    error_message = "The request-count policy must be labelled <alb arn_suffix>/<target group arn_suffix>."
  }

  assert {
    condition     = output.autoscaling_policy_names == tomap({ cpu = "ngapp-test-api-cpu", memory = "ngapp-test-api-memory", requests = "ngapp-test-api-requests" })
    error_message = "autoscaling_policy_names must list all three policies."
  }

  assert {
    condition = (
      output.alb_arn_suffix == "app/ngapp-test-api/50dc6c495c0c9188" &&
      output.target_group_arn == "arn:aws:elasticloadbalancing:af-south-1:123456789012:targetgroup/ngapp-test-api/73e2d6bc24d8a067" &&
      output.task_definition_family == "ngapp-test-api" &&
      output.log_group_name == "/ecs/ngapp-test-api" &&
      output.release_parameter_name == "/ngapp/test/ngapp-test-api/release" &&
      output.alb_access_logs_bucket == "ngapp-test-api-alb-logs" &&
      output.cluster_name == "ngapp-test-api" && output.service_name == "ngapp-test-api" &&
      output.task_role_name == "ngapp-test-api-task" && output.execution_role_name == "ngapp-test-api-execution"
    )
    error_message = "Outputs must expose the ALB, target group, task family, log group, release parameter, bucket, cluster, service and roles."
  }

  assert {
    condition     = jsondecode(aws_ssm_parameter.release.value) == { image = var.container_image, task_definition = "arn:aws:ecs:af-south-1:123456789012:task-definition/ngapp-test-api:1" }
    error_message = "The release parameter must start with the initial image and task definition."
  }

  assert {
    condition = (
      one([for s in data.aws_iam_policy_document.access_logs_bucket.statement : s if s.sid == "ElbLogDeliveryWrites"]).resources == toset(["arn:aws:s3:::ngapp-test-api-alb-logs/ngapp-test-api/AWSLogs/123456789012/*"]) &&
      toset(flatten([for p in one([for s in data.aws_iam_policy_document.access_logs_bucket.statement : s if s.sid == "ElbLogDeliveryWrites"]).principals : p.identifiers])) == toset(["logdelivery.elasticloadbalancing.amazonaws.com", "arn:aws:iam::098369216593:root"])
    )
    error_message = "ELB log delivery may write only under the service's prefix for this account."
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.access_logs_bucket.statement : s if s.sid == "DenyInsecureTransport"]).effect == "Deny"
    error_message = "The access-logs bucket must deny requests without TLS."
  }
}

# A second apply on the state above: changes to the image and count must not touch what
# `infra deploy` and autoscaling own.
run "apply_keeps_deployment" {
  command   = plan
  state_key = "applied"

  variables {
    requests_per_target = 500
    container_image     = "123456789012.dkr.ecr.af-south-1.amazonaws.com/ngapp-api:2.0.0"
    desired_count       = 4
  }

  assert {
    condition     = aws_ecs_service.this.desired_count == 2
    error_message = "A changed desired_count must not reset the running count (autoscaling owns it)."
  }

  assert {
    condition     = jsondecode(aws_ssm_parameter.release.value).image == "123456789012.dkr.ecr.af-south-1.amazonaws.com/ngapp-api:1.0.0"
    error_message = "The release parameter must not be rewritten by Terraform (infra deploy owns it)."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].image == var.container_image
    error_message = "The Terraform-owned task definition revision must still follow container_image."
  }
}

run "spot_weights" {
  command = plan

  variables {
    fargate_weight      = 1
    fargate_spot_weight = 3
    fargate_base        = 2
  }

  assert {
    condition = (
      { for s in aws_ecs_service.this.capacity_provider_strategy : s.capacity_provider => [s.weight, s.base] } ==
      { FARGATE = [1, 2], FARGATE_SPOT = [3, 0] }
    )
    error_message = "The service strategy must put the base on FARGATE and split the rest 1:3 with FARGATE_SPOT."
  }

  assert {
    condition = (
      { for s in aws_ecs_cluster_capacity_providers.this.default_capacity_provider_strategy : s.capacity_provider => [s.weight, s.base] } ==
      { FARGATE = [1, 2], FARGATE_SPOT = [3, 0] }
    )
    error_message = "The cluster default strategy must use the same weights and base."
  }
}

run "spot_only" {
  command = plan

  variables {
    fargate_weight      = 0
    fargate_spot_weight = 1
    fargate_base        = 0
  }

  assert {
    condition     = [for s in aws_ecs_service.this.capacity_provider_strategy : s.capacity_provider] == ["FARGATE_SPOT"]
    error_message = "A provider with neither weight nor base must be left out of the strategy."
  }
}

run "writable_root_custom_health_check" {
  command = plan

  variables {
    readonly_root_filesystem          = false
    container_port                    = 3000
    health_check_path                 = "/healthz"
    container_health_check_command    = ["CMD", "/app/healthcheck"]
    health_check_grace_period_seconds = 600
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem == false &&
      !contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "mountPoints") &&
      length(aws_ecs_task_definition.this.volume) == 0
    )
    error_message = "A writable root filesystem needs no tmp volume."
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.command == ["CMD", "/app/healthcheck"] &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.startPeriod == 300
    )
    error_message = "A given health check command must be used, its start period capped at ECS's 300 s."
  }

  assert {
    condition = (
      aws_lb_target_group.this.port == 3000 && aws_lb_target_group.this.health_check[0].path == "/healthz" &&
      aws_vpc_security_group_ingress_rule.service_from_alb.from_port == 3000 &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].portMappings[0].containerPort == 3000
    )
    error_message = "Port and health path must flow into the target group, security group and container."
  }
}

run "no_container_health_check" {
  command = plan

  variables {
    container_health_check_command = []
  }

  assert {
    condition     = !contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "healthCheck")
    error_message = "An empty health check command must leave the container health check out."
  }
}

run "prod_hardened_with_external_key_and_task_policy" {
  command = plan

  variables {
    environment           = "prod"
    deletion_protection   = true
    log_kms_key_arn       = "arn:aws:kms:af-south-1:123456789012:key/33333333-4444-5555-6666-777777777777"
    log_retention_days    = 365
    allowed_ingress_cidrs = ["198.51.100.0/24", "203.0.113.0/24"]
    task_role_policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::ngapp-prod-assets/*\"}]}"
  }

  assert {
    condition     = aws_lb.this.enable_deletion_protection && !aws_s3_bucket.this.force_destroy
    error_message = "deletion_protection must protect the ALB and keep the access-logs bucket from being emptied."
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && aws_cloudwatch_log_group.this.kms_key_id == var.log_kms_key_arn && aws_cloudwatch_log_group.this.retention_in_days == 365
    error_message = "A given log_kms_key_arn must be used instead of a module key."
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.alb) == 4 && toset([for r in aws_vpc_security_group_ingress_rule.alb : r.cidr_ipv4]) == toset(var.allowed_ingress_cidrs)
    error_message = "Each allowed CIDR must get a rule for 80 and one for 443."
  }

  assert {
    condition     = length(aws_iam_role_policy.task) == 1 && aws_iam_role_policy.task["app"].policy == var.task_role_policy_json
    error_message = "task_role_policy_json must be attached to the task role."
  }
}

run "dev_single_task" {
  command = plan

  variables {
    desired_count = 1
    min_capacity  = 1
  }

  assert {
    condition     = aws_ecs_service.this.desired_count == 1 && aws_appautoscaling_target.this.min_capacity == 1
    error_message = "A dev service may run a single task."
  }
}

################################################################################
# Refused configurations
################################################################################

run "rejects_prod_single_task" {
  command = plan

  variables {
    environment   = "prod"
    desired_count = 1
    min_capacity  = 1
  }

  # min_capacity's checks read desired_count, so Terraform stops at desired_count's error.
  expect_failures = [var.desired_count]
}

run "rejects_prod_min_capacity_one" {
  command = plan

  variables {
    environment   = "prod"
    desired_count = 2
    min_capacity  = 1
  }

  expect_failures = [var.min_capacity]
}

run "rejects_staging_min_healthy_below_100" {
  command = plan

  variables {
    environment                        = "staging"
    deployment_minimum_healthy_percent = 50
  }

  expect_failures = [var.deployment_minimum_healthy_percent]
}

run "rejects_no_room_for_extra_task" {
  command = plan

  variables {
    desired_count              = 2
    deployment_maximum_percent = 100
  }

  expect_failures = [var.deployment_maximum_percent]
}

run "rejects_no_room_at_min_capacity" {
  command = plan

  # 150% of 2 tasks leaves room for a third, but at 1 task floor(1.5) = 1 leaves none.
  variables {
    desired_count              = 2
    min_capacity               = 1
    deployment_maximum_percent = 150
  }

  expect_failures = [var.deployment_maximum_percent]
}

run "rejects_min_capacity_above_desired" {
  command = plan

  variables {
    desired_count = 2
    min_capacity  = 3
  }

  expect_failures = [var.min_capacity]
}

run "rejects_bad_cpu" {
  command = plan

  variables {
    cpu = 300
  }

  expect_failures = [var.cpu]
}

run "rejects_memory_not_fitting_cpu" {
  command = plan

  variables {
    cpu    = 256
    memory = 4096
  }

  expect_failures = [var.memory]
}

run "rejects_bad_certificate_arn" {
  command = plan

  variables {
    certificate_arn = "arn:aws:iam::123456789012:server-certificate/ngapp"
  }

  expect_failures = [var.certificate_arn]
}

run "rejects_both_weights_zero" {
  command = plan

  variables {
    fargate_weight      = 0
    fargate_spot_weight = 0
  }

  expect_failures = [var.fargate_spot_weight]
}

run "rejects_name_too_long" {
  command = plan

  variables {
    name = "ngapp-preview-1234-api-gateway-xy"
  }

  expect_failures = [var.name]
}

run "rejects_root_user" {
  command = plan

  variables {
    container_user = "0:0"
  }

  expect_failures = [var.container_user]
}

run "rejects_partial_secret_arn" {
  command = plan

  # Without the 6-character suffix the IAM grant could not name the secret exactly.
  variables {
    secrets = { DB_PASSWORD = "arn:aws:secretsmanager:af-south-1:123456789012:secret:ngapp/test/db" }
  }

  expect_failures = [var.secrets]
}

run "rejects_name_in_environment_and_secrets" {
  command = plan

  variables {
    environment_variables = { DB_PASSWORD = "oops" }
    secrets               = { DB_PASSWORD = "arn:aws:ssm:af-south-1:123456789012:parameter/ngapp/test/db-password" }
  }

  expect_failures = [var.secrets]
}

run "rejects_single_public_subnet" {
  command = plan

  variables {
    public_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1"]
  }

  expect_failures = [var.public_subnet_ids]
}

run "appconfig_agent_sidecar" {
  command = plan

  variables {
    appconfig_agent = {
      configuration_path = "/applications/ngapp-dev/environments/dev/configurations/flags"
      configuration_arn  = "arn:aws:appconfig:af-south-1:123456789012:application/abc1234/environment/def5678/configuration/ghi9012"
    }
  }

  assert {
    condition     = [for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c.name] == ["app", "appconfig-agent"]
    error_message = "The agent must run beside the app."
  }

  assert {
    condition = contains(
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment,
      { name = "FLAGS_URL", value = "http://localhost:2772/applications/ngapp-dev/environments/dev/configurations/flags" }
    )
    error_message = "The app must read its flags from the agent."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[1].essential == false
    error_message = "The agent must not be essential: the service keeps working without flags."
  }

  assert {
    condition     = length(aws_iam_role_policy.appconfig) == 1
    error_message = "The task role must be allowed to read the flags."
  }
}

run "appconfig_agent_path_is_validated" {
  command = plan

  variables {
    appconfig_agent = {
      configuration_path = "/flags"
      configuration_arn  = "arn:aws:appconfig:af-south-1:123456789012:application/a/environment/b/configuration/c"
    }
  }

  expect_failures = [var.appconfig_agent]
}
