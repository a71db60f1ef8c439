import { readFileSync } from 'node:fs';
import { App, type CfnElement, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ConfigOverrides, loadConfig } from '../../core/config/loadConfig.js';
import {
  CHECK_CREDENTIAL_FUNCTION_FILE,
  DASHBOARD_OBJECTS,
  DashboardHosting,
} from '../../infra/constructs/DashboardHosting.js';
import { STAGE_DEFAULTS } from '../../infra/defaults.js';
import { StreamfoldStack } from '../../infra/StreamfoldStack.js';
import {
  DASHBOARD_CONTENT_SECURITY_POLICY,
  SECURITY_HEADERS,
} from '../../local/http/securityHeaders.js';

/** A stack built from the shipped configuration with `overrides`, without cdk-nag. */
function buildStack(overrides: ConfigOverrides = {}, stage: 'dev' | 'prod' = 'dev') {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new StreamfoldStack(app, `streamfold-${stage}`, {
    config: loadConfig(overrides),
    stage,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).resolve((construct.node.defaultChild as CfnElement).logicalId);
}

/** A whole stack synthesizes in a few seconds, but a loaded machine can take a minute. */
const SYNTH_TIMEOUT_MS = 180_000;

const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';

describe('DashboardHosting in the dev stack (dashboard.deploy defaults to true)', () => {
  let stack: StreamfoldStack;
  let template: Template;
  let ids: {
    site: string;
    logs: string;
    distribution: string;
    functionUrl: string;
    queryFunction: string;
    checkFunction: string;
    store: string;
  };

  beforeAll(() => {
    // Prepare
    ({ stack, template } = buildStack());
    const hosting = stack.dashboardHosting;
    if (hosting === undefined) throw new Error('no dashboard in the default configuration');
    ids = {
      site: logicalId(hosting.siteBucket),
      logs: logicalId(hosting.logBucket),
      distribution: logicalId(hosting.distribution),
      functionUrl: logicalId(hosting.functionUrl),
      queryFunction: logicalId(stack.queryFunction.handler),
      checkFunction: logicalId(hosting.checkCredentialFunction),
      store: logicalId(hosting.credentialStore),
    };
  }, SYNTH_TIMEOUT_MS);

  const distributionSourceArn = () => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':cloudfront::',
        { Ref: 'AWS::AccountId' },
        ':distribution/',
        { Ref: ids.distribution },
      ],
    ],
  });

  it('serves the bucket by default and /api/* from the function URL, each through its OAC', () => {
    // GET and HEAD only on /api/*: the CloudFront Developer Guide, "If you use PUT or POST
    // methods with your Lambda function URL, your users must compute the SHA256 of the body and
    // include the payload hash value of the request body in the x-amz-content-sha256 header".
    // Act
    const distribution = template.toJSON().Resources[ids.distribution];
    const oacs = template.findResources('AWS::CloudFront::OriginAccessControl');
    const oacId = (type: string) => {
      const found = Object.entries(oacs).filter(
        ([, resource]) =>
          resource.Properties.OriginAccessControlConfig.OriginAccessControlOriginType === type,
      );
      expect(found).toHaveLength(1);
      return { 'Fn::GetAtt': [found[0]?.[0], 'Id'] };
    };
    const viewerRequest = [
      {
        EventType: 'viewer-request',
        FunctionARN: { 'Fn::GetAtt': [ids.checkFunction, 'FunctionARN'] },
      },
    ];

    // Assess
    template.resourceCountIs('AWS::CloudFront::Distribution', 1);
    expect(Object.keys(oacs)).toHaveLength(2);
    for (const oac of Object.values(oacs)) {
      expect(oac.Properties.OriginAccessControlConfig).toMatchObject({
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      });
    }
    const config = distribution.Properties.DistributionConfig;
    const [siteOrigin, apiOrigin] = config.Origins;
    expect(siteOrigin).toEqual({
      DomainName: { 'Fn::GetAtt': [ids.site, 'RegionalDomainName'] },
      Id: expect.any(String),
      OriginAccessControlId: oacId('s3'),
      S3OriginConfig: { OriginAccessIdentity: '' },
    });
    expect(apiOrigin).toEqual({
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
      DomainName: {
        'Fn::Select': [
          2,
          { 'Fn::Split': ['/', { 'Fn::GetAtt': [ids.functionUrl, 'FunctionUrl'] }] },
        ],
      },
      Id: expect.any(String),
      OriginAccessControlId: oacId('lambda'),
    });
    expect(config).toEqual({
      CacheBehaviors: [
        {
          AllowedMethods: ['GET', 'HEAD'],
          CachePolicyId: CACHING_DISABLED,
          Compress: true,
          FunctionAssociations: viewerRequest,
          OriginRequestPolicyId: { Ref: expect.stringMatching(/^DashboardHostingApiRequests/) },
          PathPattern: '/api/*',
          ResponseHeadersPolicyId: { Ref: expect.stringMatching(/^DashboardHostingApiHeaders/) },
          TargetOriginId: apiOrigin.Id,
          ViewerProtocolPolicy: 'https-only',
        },
      ],
      Comment: 'streamfold dashboard',
      DefaultCacheBehavior: {
        AllowedMethods: ['GET', 'HEAD'],
        CachePolicyId: CACHING_OPTIMIZED,
        Compress: true,
        FunctionAssociations: viewerRequest,
        ResponseHeadersPolicyId: { Ref: expect.stringMatching(/^DashboardHostingPageHeaders/) },
        TargetOriginId: siteOrigin.Id,
        ViewerProtocolPolicy: 'redirect-to-https',
      },
      DefaultRootObject: 'index.html',
      Enabled: true,
      HttpVersion: 'http2and3',
      IPV6Enabled: true,
      Logging: {
        Bucket: { 'Fn::GetAtt': [ids.logs, 'RegionalDomainName'] },
        Prefix: 'cloudfront/',
      },
      Origins: [siteOrigin, apiOrigin],
      PriceClass: 'PriceClass_100',
    });
  });

  it('gives the query function a URL with IAM authorization', () => {
    // The CloudFront Developer Guide (Restrict access to a Lambda function URL origin): "To use
    // OAC, you must specify AWS_IAM as the value for the AuthType parameter."
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResource('AWS::Lambda::Url', {
      Type: 'AWS::Lambda::Url',
      Properties: Match.objectEquals({
        AuthType: 'AWS_IAM',
        TargetFunctionArn: { 'Fn::GetAtt': [ids.queryFunction, 'Arn'] },
      }),
    });
  });

  it('lets only this distribution call the function URL', () => {
    // Act
    const permissions = Object.values(
      template.findResources('AWS::Lambda::Permission', {
        Properties: { Principal: 'cloudfront.amazonaws.com' },
      }),
    ).map((resource) => resource.Properties);

    // Assess: the Lambda Developer Guide (Control access to Lambda function URLs): "Starting in
    // October 2025, new function URLs will require both lambda:InvokeFunctionUrl and
    // lambda:InvokeFunction permissions." Both only for this distribution.
    const functionName = { 'Fn::GetAtt': [ids.functionUrl, 'FunctionArn'] };
    expect(permissions).toEqual([
      {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionName: functionName,
        Principal: 'cloudfront.amazonaws.com',
        SourceArn: distributionSourceArn(),
      },
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: functionName,
        InvokedViaFunctionUrl: true,
        Principal: 'cloudfront.amazonaws.com',
        SourceArn: distributionSourceArn(),
      },
    ]);
  });

  it('keeps the site bucket private: reads only by this distribution, TLS only', () => {
    // Act
    const [policy] = Object.values(
      template.findResources('AWS::S3::BucketPolicy', {
        Properties: { Bucket: { Ref: ids.site } },
      }),
    );

    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: logicalId(stack.node.findChild('AccessLogsBucket')) },
        LogFilePrefix: 'dashboard-site/',
      },
      WebsiteConfiguration: Match.absent(),
    });
    const allows = policy?.Properties.PolicyDocument.Statement.filter(
      (statement: { Effect: string }) => statement.Effect === 'Allow',
    );
    expect(allows).toContainEqual({
      Action: 's3:GetObject',
      Condition: { StringEquals: { 'AWS:SourceArn': distributionSourceArn() } },
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.site, 'Arn'] }, '/*']] },
    });
    for (const allow of allows ?? []) {
      expect(allow.Principal).not.toEqual('*');
      expect(allow.Principal).not.toEqual({ AWS: '*' });
    }
  });

  it('logs CloudFront to a bucket with ACLs enabled, as CloudFront standard logging needs', () => {
    // The CloudFront Developer Guide (standard logging): "Starting April 2023 you will need to
    // enable S3 access control lists (ACLs) for new S3 buckets being used for CloudFront
    // standard logs."
    template.hasResourceProperties('AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: logicalId(stack.node.findChild('AccessLogsBucket')) },
        LogFilePrefix: 'dashboard-cloudfront-logs/',
      },
      LifecycleConfiguration: {
        Rules: [
          {
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            Id: 'abort-incomplete-multipart-uploads',
            Status: 'Enabled',
          },
          { ExpirationInDays: 365, Id: 'expire-access-logs', Status: 'Enabled' },
        ],
      },
    });
  });

  it('checks every request with the Basic authentication function over its key value store', () => {
    template.resourceCountIs('AWS::CloudFront::KeyValueStore', 1);
    template.resourceCountIs('AWS::CloudFront::Function', 1);
    template.hasResourceProperties('AWS::CloudFront::Function', {
      AutoPublish: true,
      FunctionCode: readFileSync(CHECK_CREDENTIAL_FUNCTION_FILE, 'utf8'),
      FunctionConfig: {
        Comment: 'streamfold dashboard: HTTP Basic authentication against the key value store',
        KeyValueStoreAssociations: [{ KeyValueStoreARN: { 'Fn::GetAtt': [ids.store, 'Arn'] } }],
        Runtime: 'cloudfront-js-2.0',
      },
    });
  });

  it('sends the local server security headers plus HSTS, and forwards only the query string', () => {
    const headers = (csp: string) => ({
      ContentSecurityPolicy: { ContentSecurityPolicy: csp, Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { Override: true, ReferrerPolicy: 'no-referrer' },
      StrictTransportSecurity: {
        AccessControlMaxAgeSec: 63_072_000,
        IncludeSubdomains: true,
        Override: true,
      },
    });
    template.resourceCountIs('AWS::CloudFront::ResponseHeadersPolicy', 2);
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: headers(DASHBOARD_CONTENT_SECURITY_POLICY),
      }),
    });
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: headers(SECURITY_HEADERS['content-security-policy'] ?? ''),
      }),
    });
    template.hasResourceProperties('AWS::CloudFront::OriginRequestPolicy', {
      OriginRequestPolicyConfig: Match.objectLike({
        CookiesConfig: { CookieBehavior: 'none' },
        HeadersConfig: { HeaderBehavior: 'none' },
        QueryStringsConfig: { QueryStringBehavior: 'all' },
      }),
    });
  });

  it('copies the dashboard files into the bucket with no-cache, without an invalidation', () => {
    template.resourceCountIs('Custom::CDKBucketDeployment', 1);
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: { Ref: ids.site },
      Prune: true,
      SystemMetadata: { 'cache-control': 'no-cache' },
      DistributionId: Match.absent(),
    });
    expect(Object.keys(DASHBOARD_OBJECTS).sort()).toEqual([
      'dashboard/app.js',
      'dashboard/style.css',
      'index.html',
      'vendor/uplot/uPlot.esm.js',
      'vendor/uplot/uPlot.min.css',
    ]);
  });

  it('names every object the page loads by absolute path', () => {
    // Act: the page's own references and the module's import of uPlot
    const page = readFileSync(DASHBOARD_OBJECTS['index.html'] ?? '', 'utf8');
    const script = readFileSync(DASHBOARD_OBJECTS['dashboard/app.js'] ?? '', 'utf8');
    const referenced = [
      ...[...page.matchAll(/(?:href|src)="\/([^"]+)"/g)].map((match) => match[1]),
      ...[...script.matchAll(/^import .* from '\/([^']+)';$/gm)].map((match) => match[1]),
    ];

    // Assess
    expect(referenced.sort()).toEqual(
      Object.keys(DASHBOARD_OBJECTS)
        .filter((key) => key !== 'index.html')
        .sort(),
    );
  });

  it('gives the copying function its own role: logs to its group, reads the asset bucket, writes the site', () => {
    // Act
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: {
        Description: 'Dashboard deployment: copies the dashboard files into the site bucket',
      },
    });
    const [roleId] = Object.keys(roles);
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: roleId }] },
      }),
    );
    const assetBucketArn = (suffix: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':s3:::',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string.
          { 'Fn::Sub': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}' },
          ...(suffix === '' ? [] : [suffix]),
        ],
      ],
    });

    // Assess
    expect(roles[roleId ?? '']?.Properties.ManagedPolicyArns).toBeUndefined();
    expect(policy?.Properties.PolicyDocument.Statement).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: {
          'Fn::GetAtt': [expect.stringMatching(/^DashboardHostingFilesLogGroup/), 'Arn'],
        },
      },
      {
        Action: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
        Effect: 'Allow',
        Resource: [assetBucketArn(''), assetBucketArn('/*')],
      },
      {
        Action: [
          's3:GetObject*',
          's3:GetBucket*',
          's3:List*',
          's3:DeleteObject*',
          's3:PutObject',
          's3:PutObjectLegalHold',
          's3:PutObjectRetention',
          's3:PutObjectTagging',
          's3:PutObjectVersionTagging',
          's3:Abort*',
        ],
        Effect: 'Allow',
        Resource: [
          { 'Fn::GetAtt': [ids.site, 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.site, 'Arn'] }, '/*']] },
        ],
      },
    ]);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: STAGE_DEFAULTS.dev.logRetention,
    });
  });

  it('outputs the dashboard URL and the key value store to put the credential in', () => {
    template.hasOutput('DashboardUrl', {
      Value: {
        'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [ids.distribution, 'DomainName'] }, '/']],
      },
    });
    template.hasOutput('DashboardCredentialStoreArn', {
      Value: { 'Fn::GetAtt': [ids.store, 'Arn'] },
    });
  });
});

describe('DashboardHosting with dashboard.deploy false', () => {
  it(
    'creates no distribution, bucket deployment, function URL or output',
    () => {
      // Act
      const { stack, template } = buildStack({ dashboard: { deploy: false } });

      // Assess
      expect(stack.dashboardHosting).toBeUndefined();
      for (const type of [
        'AWS::CloudFront::Distribution',
        'AWS::CloudFront::Function',
        'AWS::CloudFront::KeyValueStore',
        'AWS::CloudFront::OriginAccessControl',
        'AWS::CloudFront::ResponseHeadersPolicy',
        'AWS::CloudFront::OriginRequestPolicy',
        'Custom::CDKBucketDeployment',
        'AWS::Lambda::Url',
      ]) {
        template.resourceCountIs(type, 0);
      }
      const outputs = Object.keys(template.findOutputs('*'));
      expect(outputs).toContain('DashboardName'); // the CloudWatch dashboard stays
      expect(outputs).not.toContain('DashboardUrl');
      expect(outputs).not.toContain('DashboardCredentialStoreArn');
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe('DashboardHosting with dashboard.domainName and dashboard.certificateArn', () => {
  const certificateArn =
    'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';

  it(
    'serves the host name with the certificate and TLS 1.2 at least',
    () => {
      // Act
      const { template } = buildStack({
        dashboard: { domainName: 'dashboard.example.com', certificateArn },
      });

      // Assess
      template.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          Aliases: ['dashboard.example.com'],
          ViewerCertificate: {
            AcmCertificateArn: certificateArn,
            MinimumProtocolVersion: 'TLSv1.2_2021',
            SslSupportMethod: 'sni-only',
          },
        }),
      });
      template.hasOutput('DashboardUrl', { Value: 'https://dashboard.example.com/' });
    },
    SYNTH_TIMEOUT_MS,
  );

  it('refuses one without the other, naming the setting', () => {
    expect(() => loadConfig({ dashboard: { domainName: 'dashboard.example.com' } })).toThrow(
      /dashboard\.certificateArn.*domainName and certificateArn must be given together/,
    );
    expect(() => loadConfig({ dashboard: { certificateArn } })).toThrow(
      /domainName and certificateArn must be given together/,
    );
  });

  it('refuses a certificate outside us-east-1, which CloudFront cannot use', () => {
    expect(() =>
      loadConfig({
        dashboard: {
          domainName: 'dashboard.example.com',
          certificateArn: certificateArn.replace('us-east-1', 'eu-central-1'),
        },
      }),
    ).toThrow(/dashboard\.certificateArn.*must be the ARN of an ACM certificate in us-east-1/);
  });
});

describe.each(['dev', 'prod'] as const)('cdk-nag AwsSolutions over the dashboard (%s)', (stage) => {
  it(
    'leaves no finding on the dashboard resources unacknowledged',
    () => {
      // Prepare: the plugin alone, so findings elsewhere in the stack do not hide ours
      const { app } = buildStack({}, stage);

      // Act
      const report = new AwsSolutionsChecks().validateScope(app);
      const findings = report.violations.flatMap((violation) =>
        violation.violatingResources.map(
          (resource) => `${violation.ruleName} at ${resource.constructPath ?? ''}`,
        ),
      );

      // Assess: the checks ran, and none of their findings is ours
      expect(report.violations).toBeDefined();
      expect(
        findings.filter(
          (finding) =>
            finding.includes('/DashboardHosting/') ||
            finding.includes('/Custom::CDKBucketDeployment'),
        ),
      ).toEqual([]);
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe('DashboardHosting props', () => {
  it('refuses a domain name without a certificate, naming both', () => {
    // Prepare
    const stack = new Stack(new App(), 'Test');
    const queryFunction = new lambda.Function(stack, 'Query', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
    });
    const accessLogs = new s3.Bucket(stack, 'AccessLogs');

    // Act & Assess
    expect(
      () =>
        new DashboardHosting(stack, 'Dashboard', {
          queryFunction,
          serverAccessLogsBucket: accessLogs,
          removalPolicy: RemovalPolicy.DESTROY,
          autoDeleteObjects: true,
          domainName: 'dashboard.example.com',
        }),
    ).toThrow(
      'domainName and certificate must be given together (given domainName dashboard.example.com, certificate none)',
    );
  });
});
