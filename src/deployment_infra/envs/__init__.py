"""Per-environment settings kept in AWS, outside Terraform: non-secret environment variables (config)."""
