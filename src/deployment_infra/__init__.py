"""deployment-infra: infrastructure and delivery for a product serving Nigeria on AWS af-south-1."""

__version__ = "0.1.0"
