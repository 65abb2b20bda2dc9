"""Code that runs in AWS Lambda. Packaged by `infra package lambdas` (see package.py); nothing here may
import more than the standard library, boto3 (the Lambda runtime has it) and what package.py zips.
"""
