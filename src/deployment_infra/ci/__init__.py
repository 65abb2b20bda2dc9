"""CI stages that run the same way on a laptop, in `make test` and in GitHub Actions.

`infra ci lint|test|security|build --path DIR` detects what DIR holds (TypeScript, Python,
Terraform, a Dockerfile, workflows) and runs every step that applies. Each step is a `Step`
(model.py); stages.py lists them. Configuration is read from the repository's `ci/` directory.
"""
