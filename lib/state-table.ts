import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { STATE_TABLE_ACTIONS, STATE_TABLE_PARTITION_KEY } from '../lambda/aws/state-store';

/** Properties of {@link StateTable}. */
export interface StateTableProps {
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN (the alert history outlives the stack)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The alert state per key (docs/contracts.md, "Alerting"): one item per key name, billed per request, with
 * point-in-time recovery, encrypted with a DynamoDB-owned key, and kept when the stack is deleted.
 */
export class StateTable extends Construct {
  /** The table. */
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: STATE_TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      // A few reads and writes per key and run: far below any provisioned minimum worth paying for.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The items hold statuses, finding codes, times and secret version ids, never a secret; a
      // customer managed or aws/dynamodb key would add KMS requests per call and buy no control we use.
      encryption: dynamodb.TableEncryption.DEFAULT,
      // Since-when and last-notified times decide what the next run sends; losing them with the
      // stack would re-announce every open problem, so the table is kept by default.
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** Lets `grantee` use exactly the item actions the state store calls, on this table only. */
  grantStateAccess(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'KeepAlertState', actions: [...STATE_TABLE_ACTIONS], resources: [this.table.tableArn] }),
    );
  }
}
