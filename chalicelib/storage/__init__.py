"""DynamoDB tables: PynamoDB models, key design and transactions. No HTTP knowledge here.

Every model is declared once, in this package; `chalicelib.storage.schema` turns the same
classes into the CloudFormation tables that `infra/resources.json` deploys and the local
bootstrap creates.
"""
