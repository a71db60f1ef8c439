import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type { Construct } from 'constructs';

/** The Glue table whose columns Firehose converts records to: one of this account and region. */
export interface ParquetConversionTable {
  /** Glue database name. */
  databaseName: string;
  /** Glue table name. */
  tableName: string;
}

/** What Firehose reads of the table, as documented for the delivery role of a conversion. */
export const FIREHOSE_GLUE_ACTIONS = [
  'glue:GetTable',
  'glue:GetTableVersion',
  'glue:GetTableVersions',
] as const;

/**
 * The ARNs of the catalog, the database and the table, the three resources a
 * `glue:GetTable*` call on a table is authorized against.
 */
export function glueTableArns(scope: Construct, table: ParquetConversionTable): string[] {
  const stack = Stack.of(scope);
  return [
    stack.formatArn({ service: 'glue', resource: 'catalog' }),
    stack.formatArn({
      service: 'glue',
      resource: 'database',
      resourceName: table.databaseName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    }),
    stack.formatArn({
      service: 'glue',
      resource: 'table',
      resourceName: `${table.databaseName}/${table.tableName}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    }),
  ];
}

/**
 * Lets the delivery role read the table's schema, and nothing else of the Data
 * Catalog (the `S3Bucket` destination's own schema binding would also grant
 * `glue:GetSchemaVersion` on `*`, which a Glue table schema does not need).
 */
export function grantReadTableSchema(
  scope: Construct,
  role: iam.IRole,
  table: ParquetConversionTable,
): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [...FIREHOSE_GLUE_ACTIONS],
      resources: glueTableArns(scope, table),
    }),
  );
}

/**
 * Firehose's `DataFormatConversionConfiguration` for JSON records to Parquet
 * against `table` (latest version): the OpenX JSON SerDe reads each record
 * (JSON keys matched case-insensitively, as the table's lower-case columns
 * need) and the Parquet SerDe writes Snappy-compressed pages.
 */
export function parquetConversionConfiguration(
  scope: Construct,
  role: iam.IRole,
  table: ParquetConversionTable,
): firehose.CfnDeliveryStream.DataFormatConversionConfigurationProperty {
  const stack = Stack.of(scope);
  return {
    enabled: true,
    schemaConfiguration: {
      catalogId: stack.account,
      region: stack.region,
      databaseName: table.databaseName,
      tableName: table.tableName,
      roleArn: role.roleArn,
      versionId: 'LATEST',
    },
    inputFormatConfiguration: {
      deserializer: { openXJsonSerDe: { caseInsensitive: true } },
    },
    outputFormatConfiguration: {
      serializer: { parquetSerDe: { compression: 'SNAPPY' } },
    },
  };
}
