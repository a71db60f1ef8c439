import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { rules } from 'cdk-nag';
import { Construct } from 'constructs';
import { DASHBOARD_DIR, UPLOT_DIST_DIR } from '../../local/http/mountDashboard.js';
import {
  DASHBOARD_CONTENT_SECURITY_POLICY,
  SECURITY_HEADERS,
} from '../../local/http/securityHeaders.js';
import { ACCESS_LOG_DEFAULTS, BUCKET_DEFAULTS } from '../defaults.js';
import { secureBucket } from '../secureBucket.js';

/** The viewer-request function's source, run by CloudFront as it is (cloudfront-js-2.0). */
export const CHECK_CREDENTIAL_FUNCTION_FILE = fileURLToPath(
  new URL('../edge/checkDashboardCredential.js', import.meta.url),
);

/**
 * The objects of the site bucket and the files they are copied from: the same paths the
 * local server answers (`local/http/mountDashboard.ts`), because the page loads its script,
 * styles and uPlot by absolute path and calls `/api/...` on its own origin.
 */
export const DASHBOARD_OBJECTS: Readonly<Record<string, string>> = {
  'index.html': join(DASHBOARD_DIR, 'index.html'),
  'dashboard/app.js': join(DASHBOARD_DIR, 'app.js'),
  'dashboard/style.css': join(DASHBOARD_DIR, 'style.css'),
  'vendor/uplot/uPlot.esm.js': join(UPLOT_DIST_DIR, 'uPlot.esm.js'),
  'vendor/uplot/uPlot.min.css': join(UPLOT_DIST_DIR, 'uPlot.min.css'),
};

/** HSTS max-age: two years, the value the HSTS preload list asks for. */
const HSTS_MAX_AGE = Duration.days(730);

/** Props of {@link DashboardHosting}. */
export interface DashboardHostingProps {
  /**
   * The query function (`functions/query/handler.ts`). It gets a function URL with IAM
   * authorization that only this distribution may call.
   */
  queryFunction: lambda.IFunction;
  /** Where the site bucket's S3 server access logs and CloudFront's log bucket's go. */
  serverAccessLogsBucket: s3.IBucket;
  /** What happens to the buckets when the stack is deleted. */
  removalPolicy: RemovalPolicy;
  /** Empty the buckets when the stack deletes them; only with `RemovalPolicy.DESTROY`. */
  autoDeleteObjects: boolean;
  /**
   * Edge locations that serve the dashboard.
   *
   * @default cloudfront.PriceClass.PRICE_CLASS_100 (North America and Europe: the cheapest;
   * a dashboard for a few operators needs no edge near every viewer)
   */
  priceClass?: cloudfront.PriceClass;
  /**
   * Your own host name for the distribution, served with `certificate`.
   *
   * @default - the distribution's `*.cloudfront.net` name only
   */
  domainName?: string;
  /**
   * ACM certificate (us-east-1) for `domainName`; with one, viewers need TLS 1.2 or later.
   *
   * @default - CloudFront's `*.cloudfront.net` certificate, whose policy CloudFront fixes at TLSv1
   */
  certificate?: acm.ICertificate;
  /**
   * Retention of the log group of the function that copies the files into the bucket.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  logRetention?: logs.RetentionDays;
}

/**
 * The dashboard on AWS: its static files in a private bucket, one CloudFront distribution
 * serving them through an S3 origin access control and `/api/*` from the query function
 * through a function URL (`AuthType AWS_IAM`) behind a Lambda origin access control, so
 * the page and its API share one origin and CloudFront, not the page, signs with SigV4.
 *
 * Who may look: a CloudFront Function on every request checks HTTP Basic credentials
 * against a salted digest in a CloudFront key value store that the operator sets after
 * deploying; until then every request gets 401. Basic authentication over HTTPS needs
 * nothing but a browser, and the secret never appears in the template or the page. A
 * sign-in (Cognito) would add per-user accounts, an OAuth flow and token handling at the
 * edge, more than a few operators sharing one read-only view need; an IP allow list
 * breaks for anyone on a changing address.
 */
export class DashboardHosting extends Construct {
  /** The private bucket holding the page, its script and styles, and uPlot. */
  public readonly siteBucket: s3.Bucket;
  /** The bucket of CloudFront's standard logs. */
  public readonly logBucket: s3.Bucket;
  /** The distribution; the dashboard is at `https://<domain name>/`. */
  public readonly distribution: cloudfront.Distribution;
  /** The query function's URL, reachable only through the distribution. */
  public readonly functionUrl: lambda.FunctionUrl;
  /** Holds the credential the viewer-request function checks. */
  public readonly credentialStore: cloudfront.KeyValueStore;
  /** The viewer-request function doing Basic authentication. */
  public readonly checkCredentialFunction: cloudfront.Function;

  public constructor(scope: Construct, id: string, props: DashboardHostingProps) {
    super(scope, id);
    if ((props.domainName === undefined) !== (props.certificate === undefined)) {
      throw new Error(
        `domainName and certificate must be given together (given domainName ${props.domainName ?? 'none'}, certificate ${props.certificate === undefined ? 'none' : 'one'})`,
      );
    }
    const storage = {
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
    };

    this.siteBucket = secureBucket(this, 'SiteBucket', {
      ...storage,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: 'dashboard-site/',
    });
    // CloudFront's standard logs are delivered with an object ACL, which a bucket whose
    // ACLs are disabled (the stack's access-log bucket, BucketOwnerEnforced) refuses, so
    // they get a bucket of their own with ACLs enabled; the rest as secureBucket() does.
    this.logBucket = new s3.Bucket(this, 'LogBucket', {
      ...storage,
      encryption: BUCKET_DEFAULTS.encryption,
      blockPublicAccess: BUCKET_DEFAULTS.blockPublicAccess,
      enforceSSL: BUCKET_DEFAULTS.enforceSSL,
      minimumTLSVersion: BUCKET_DEFAULTS.minimumTLSVersion,
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: 'dashboard-cloudfront-logs/',
      lifecycleRules: [
        {
          id: 'abort-incomplete-multipart-uploads',
          abortIncompleteMultipartUploadAfter: BUCKET_DEFAULTS.abortIncompleteMultipartUploadAfter,
        },
        { id: 'expire-access-logs', expiration: ACCESS_LOG_DEFAULTS.expiration },
      ],
    });

    this.credentialStore = new cloudfront.KeyValueStore(this, 'CredentialStore', {
      comment: 'streamfold dashboard: Basic authentication credential (salted SHA-256)',
    });
    this.checkCredentialFunction = new cloudfront.Function(this, 'CheckCredential', {
      comment: 'streamfold dashboard: HTTP Basic authentication against the key value store',
      code: cloudfront.FunctionCode.fromFile({ filePath: CHECK_CREDENTIAL_FUNCTION_FILE }),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      keyValueStore: this.credentialStore,
    });
    const viewerRequest: cloudfront.FunctionAssociation[] = [
      {
        function: this.checkCredentialFunction,
        eventType: cloudfront.FunctionEventType.VIEWER_REQUEST,
      },
    ];

    this.functionUrl = props.queryFunction.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
    });

    const strictTransportSecurity = {
      accessControlMaxAge: HSTS_MAX_AGE,
      includeSubdomains: true,
      override: true,
    };
    const pageHeaders = new cloudfront.ResponseHeadersPolicy(this, 'PageHeaders', {
      comment: 'streamfold dashboard page: the local server content policy, HSTS',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: DASHBOARD_CONTENT_SECURITY_POLICY,
          override: true,
        },
        ...commonSecurityHeaders(),
        strictTransportSecurity,
      },
    });
    const apiHeaders = new cloudfront.ResponseHeadersPolicy(this, 'ApiHeaders', {
      comment: 'streamfold dashboard API: the local server security headers, HSTS',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: requiredHeader('content-security-policy'),
          override: true,
        },
        ...commonSecurityHeaders(),
        strictTransportSecurity,
      },
    });
    // The query routes read nothing but the query string: no header or cookie goes on, so
    // neither the viewer's Host (which the function URL would refuse) nor anything else.
    const apiRequests = new cloudfront.OriginRequestPolicy(this, 'ApiRequests', {
      comment: 'streamfold dashboard API: the query string only',
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.none(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'streamfold dashboard',
      defaultRootObject: 'index.html',
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      ...(props.domainName === undefined || props.certificate === undefined
        ? {}
        : {
            domainNames: [props.domainName],
            certificate: props.certificate,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }),
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.siteBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: pageHeaders,
        functionAssociations: viewerRequest,
      },
      additionalBehaviors: {
        // GET and HEAD only: through a Lambda origin access control a POST or PUT would need
        // the viewer to send the body's SHA-256, and the query API has no other method.
        '/api/*': {
          origin: origins.FunctionUrlOrigin.withOriginAccessControl(this.functionUrl),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
          // Figures change every few seconds and the answer depends on the credential check
          // above; a cache at the edge would only hand out stale ones.
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: apiRequests,
          responseHeadersPolicy: apiHeaders,
          functionAssociations: viewerRequest,
        },
      },
    });

    // The copying function's own role and log group: the default role carries the managed
    // AWSLambdaBasicExecutionRole (every log group in the account).
    const deploymentLogGroup = new logs.LogGroup(this, 'FilesLogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    const deploymentRole = new iam.Role(this, 'FilesRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Dashboard deployment: copies the dashboard files into the site bucket',
    });
    deploymentLogGroup.grantWrite(deploymentRole);
    const files = new s3deploy.BucketDeployment(this, 'Files', {
      sources: [s3deploy.Source.asset(stageDashboardFiles())],
      destinationBucket: this.siteBucket,
      role: deploymentRole,
      logGroup: deploymentLogGroup,
      // As the local server: the browser revalidates. CloudFront caches an object sent with
      // no-cache for the cache policy's minimum TTL only (1 s for CachingOptimized), so a
      // deploy shows on reload without an invalidation (which would need cloudfront:* on *).
      cacheControl: [s3deploy.CacheControl.noCache()],
    });

    acknowledgeDistributionFindings(this.distribution, props.certificate !== undefined);
    acknowledgeDeploymentFindings(files, deploymentRole);
  }
}

/** The headers both policies share, with the values `SECURITY_HEADERS` gives locally. */
function commonSecurityHeaders(): Pick<
  cloudfront.ResponseSecurityHeadersBehavior,
  'contentTypeOptions' | 'frameOptions' | 'referrerPolicy'
> {
  if (requiredHeader('x-frame-options') !== 'DENY') {
    throw new Error(`x-frame-options must be DENY (given ${SECURITY_HEADERS['x-frame-options']})`);
  }
  if (requiredHeader('referrer-policy') !== 'no-referrer') {
    throw new Error(
      `referrer-policy must be no-referrer (given ${SECURITY_HEADERS['referrer-policy']})`,
    );
  }
  return {
    contentTypeOptions: { override: true },
    frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
    referrerPolicy: {
      referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER,
      override: true,
    },
  };
}

function requiredHeader(name: string): string {
  const value = SECURITY_HEADERS[name];
  if (value === undefined) throw new Error(`SECURITY_HEADERS has no ${name}`);
  return value;
}

/**
 * A folder laid out as the bucket should be ({@link DASHBOARD_OBJECTS}), for one asset.
 * A fresh folder per synthesis; the asset is named by its content hash, not its path.
 */
function stageDashboardFiles(): string {
  const folder = mkdtempSync(join(tmpdir(), 'streamfold-dashboard-'));
  for (const [key, file] of Object.entries(DASHBOARD_OBJECTS)) {
    mkdirSync(dirname(join(folder, key)), { recursive: true });
    copyFileSync(file, join(folder, key));
  }
  return folder;
}

/**
 * The cdk-nag findings on CDK's file-copying function that are accepted, each with its reason.
 * Its role's wildcards are the ones `BucketDeployment` grants (read the CDK asset bucket, write
 * and delete in the site bucket); the template test pins every statement.
 */
function acknowledgeDeploymentFindings(files: s3deploy.BucketDeployment, role: iam.Role): void {
  const policy = role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
  const cfnPolicy = policy?.node.defaultChild as iam.CfnPolicy | undefined;
  if (cfnPolicy === undefined) throw new Error('the dashboard deployment role has no policy');
  const wildcards = rules.iam.IAMNoWildcardPermissions(cfnPolicy);
  if (Array.isArray(wildcards)) {
    Validations.of(role).acknowledge(
      ...wildcards.map((finding) => ({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason:
          "aws-cdk-lib's BucketDeployment grants its copying function object-level actions on the CDK asset bucket (read) and the site bucket (write, delete for pruning); both are single buckets, and the function runs only during a deploy.",
      })),
    );
  }
  // The singleton function is created by BucketDeployment at stack level, with our role.
  const handler = Stack.of(files)
    .node.findAll()
    .find((construct) => construct instanceof lambda.Function && construct.role === role);
  if (handler === undefined) throw new Error('the dashboard deployment role has no function');
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      "The file-copying function of aws-cdk-lib's BucketDeployment runs the Python runtime that aws-cdk-lib pins; it runs only during a deploy and takes no outside input.",
  });
}

/** The cdk-nag findings on the distribution that are accepted, each with its reason. */
function acknowledgeDistributionFindings(
  distribution: cloudfront.Distribution,
  ownCertificate: boolean,
): void {
  if (!ownCertificate) {
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason:
        'Without dashboard.domainName and dashboard.certificateArn the distribution has only its *.cloudfront.net name, whose certificate and security policy (TLSv1) CloudFront fixes; current browsers negotiate TLS 1.2 or 1.3 anyway. With them, TLSv1.2_2021 is the minimum.',
    });
  }
  Validations.of(distribution).acknowledge(
    {
      id: 'AwsSolutions-CFR1',
      reason:
        'No geo restriction: operators open the dashboard from wherever they are; every request must pass HTTP Basic authentication at the edge instead.',
    },
    {
      id: 'AwsSolutions-CFR2',
      reason:
        'No AWS WAF web ACL: a web ACL costs a monthly fee per ACL and rule, more than the dashboard for a few operators; every request is checked by the Basic authentication function, the password is random and long (docs/deploy.md), and the origins take GET and HEAD only.',
    },
  );
}
