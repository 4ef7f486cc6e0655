// generated — do not edit; run npm run gen (scripts/gen-types.mjs) after changing schemas/*.schema.json
// The JSON Schemas as values, for validators in the pure core (no JSON import at runtime).

/** schemas/workflow.schema.json */
export const workflowSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://aob.dev/schemas/workflow.schema.json',
  title: 'WorkflowDefinition',
  description:
    'An aob workflow: a JSON graph of nodes. Strings in `with`, `input`, `when` and `output` that are exactly `{% … %}` are JSONata expressions.',
  type: 'object',
  required: ['name', 'version', 'nodes'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', description: 'The schema this document follows (for editors).' },
    name: { $ref: '#/$defs/workflowName' },
    version: { $ref: '#/$defs/version' },
    description: { type: 'string' },
    inputs: {
      type: 'object',
      description: 'A JSON Schema (2020-12) that run inputs must satisfy.',
    },
    defaults: { $ref: '#/$defs/defaults' },
    limits: { $ref: '#/$defs/limits' },
    patchPolicy: { $ref: '#/$defs/patchPolicy' },
    budget: { $ref: '#/$defs/budget' },
    fidelity: {
      description:
        "How much of a run the log keeps. `full` (the default): every event. `fast`: only what recovery needs; a node's start (NodeStarted) is not recorded, so timelines and traces show when a node was scheduled and when it ended, not when it began. Refused for workflows with approval, ask or agent nodes, whose audit needs the full log (FIDELITY_NEEDS_FULL).",
      enum: ['full', 'fast'],
      default: 'full',
    },
    nodes: { type: 'array', minItems: 1, items: { $ref: '#/$defs/node' } },
    edges: { type: 'array', items: { $ref: '#/$defs/edge' } },
    output: { description: "The run's output, usually an expression over `nodes`." },
  },
  $defs: {
    patchPolicy: {
      title: 'WorkflowPatchPolicy',
      description:
        'Which valid patches wait for a person (ARCHITECTURE §4). Patches cannot change this: they may only touch /nodes, /edges and /output.',
      type: 'object',
      additionalProperties: false,
      properties: {
        review: {
          description:
            '`forbidden-types` (the default): a patch that is valid except that it adds or changes nodes of a type outside `agentTypes` (FORBIDDEN_TYPE) is held for a reviewer instead of rejected. `never`: such a patch is rejected. `always`: every valid patch is held.',
          enum: ['never', 'forbidden-types', 'always'],
          default: 'forbidden-types',
        },
        reviewers: {
          description:
            "Who may approve or reject a held patch; absent: anyone who may propose. A patch's author never reviews it.",
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', minLength: 1 },
        },
        agentTypes: {
          description:
            'Node types a patch may add or change without review; default every type but `code`.',
          type: 'array',
          uniqueItems: true,
          items: { $ref: '#/$defs/nodeType' },
        },
      },
    },
    expression: {
      type: 'string',
      description: 'A JSONata expression in {% … %}.',
      pattern: '^\\s*\\{%[\\s\\S]*%\\}\\s*$',
    },
    nodeId: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,63}$' },
    workflowName: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,63}$' },
    version: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$' },
    workflowRef: {
      type: 'string',
      description: '`name` or `name@version`.',
      pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,63}(@[A-Za-z0-9][A-Za-z0-9._+-]{0,63})?$',
    },
    httpUrl: {
      type: 'string',
      description: 'An http(s) URL, or an expression that yields one.',
      pattern: '^(https?://[^\\s]+|\\s*\\{%[\\s\\S]*%\\}\\s*)$',
    },
    instantOrExpression: {
      type: 'string',
      description: 'An ISO 8601 date-time with a time zone, or an expression that yields one.',
      pattern:
        '^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})|\\s*\\{%[\\s\\S]*%\\}\\s*)$',
    },
    nodeType: {
      enum: [
        'task',
        'http',
        'transform',
        'llm',
        'agent',
        'map',
        'join',
        'subworkflow',
        'approval',
        'ask',
        'timer',
        'code',
        'fs',
        'search',
      ],
    },
    bodyType: {
      description: 'The node types a map body may have: those a runner executes as a job.',
      enum: ['task', 'http', 'transform', 'llm', 'agent', 'code', 'fs', 'search'],
    },
    priority: { enum: ['high', 'medium', 'low'] },
    timeoutMs: { type: 'integer', minimum: 1 },
    msOrExpression: {
      description: 'Milliseconds, or an expression that yields them.',
      type: ['integer', 'string'],
      minimum: 0,
      if: { type: 'string' },
      then: { $ref: '#/$defs/expression' },
    },
    retry: {
      title: 'RetryOptions',
      type: 'object',
      additionalProperties: false,
      properties: {
        maxAttempts: { type: 'integer', minimum: 1, default: 3 },
        initialMs: { type: 'integer', minimum: 0, default: 200 },
        multiplier: { type: 'number', minimum: 1, default: 2 },
        maxMs: { type: 'integer', minimum: 0, default: 10000 },
        jitter: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          default: 0.2,
          description: 'Fraction of each delay that is randomised (0 = none, 1 = full jitter).',
        },
      },
    },
    defaults: {
      title: 'Defaults',
      type: 'object',
      additionalProperties: false,
      properties: {
        retry: { $ref: '#/$defs/retry' },
        timeoutMs: { $ref: '#/$defs/timeoutMs', default: 30000 },
        priority: { $ref: '#/$defs/priority', default: 'medium' },
      },
    },
    limits: {
      title: 'Limits',
      type: 'object',
      additionalProperties: false,
      properties: {
        maxNodes: { type: 'integer', minimum: 1, default: 200 },
        maxAgentSpawns: { type: 'integer', minimum: 0, default: 5 },
        maxPatchesPerRun: { type: 'integer', minimum: 0, default: 20 },
      },
    },
    budget: {
      title: 'Budget',
      description:
        "Limits a run is held to. Crossing one appends BudgetExceeded and ends or pauses the run by `onExceeded`. An absent limit does not apply; a run is held to the smallest of each limit in its definition, its `--budget` and its namespace's budget.",
      type: 'object',
      additionalProperties: false,
      properties: {
        tokens: {
          type: 'integer',
          minimum: 0,
          description:
            'Prompt plus completion tokens of every llm and agent node. Crossed when more are used.',
        },
        costUsd: {
          type: 'number',
          minimum: 0,
          description:
            "US dollars, priced by the runners' AOB_LLM_PRICES (per model alias, per million tokens) as tokens are reported. Crossed when more is spent.",
        },
        wallMs: { type: 'integer', minimum: 1, description: "Milliseconds from the run's start." },
        nodes: {
          type: 'integer',
          minimum: 1,
          description:
            'Node executions: every attempt of every node and map item. The execution past this many is not scheduled.',
        },
        onExceeded: {
          enum: ['fail', 'cancel', 'pause'],
          default: 'fail',
          description:
            '`fail`: the run fails with BUDGET_EXCEEDED. `cancel`: the run is cancelled. Either way work in flight is aborted. `pause`: the run waits (nothing new is scheduled; work in flight finishes) until someone raises the limit (BudgetRaised) or cancels it.',
        },
      },
    },
    node: {
      title: 'NodeDefinition',
      type: 'object',
      required: ['id', 'type'],
      additionalProperties: false,
      properties: {
        id: { $ref: '#/$defs/nodeId' },
        type: { $ref: '#/$defs/nodeType' },
        with: { type: 'object', description: "The type's configuration." },
        input: { $ref: '#/$defs/expression' },
        retry: { $ref: '#/$defs/retry' },
        timeoutMs: { $ref: '#/$defs/timeoutMs' },
        priority: { $ref: '#/$defs/priority' },
        description: { type: 'string' },
        memo: {
          type: 'boolean',
          description:
            "Marks the node pure: its output depends only on its input and settings, so a stored output for an identical type, settings and input is reused instead of executing it again, in this run or another, where its job reaches a runner with a result memo (locally always; in the cluster with AOB_REDIS_URL). The orchestrator runs pure nodes itself, which costs less than a lookup, so a job reaches a runner only past the 1,000 pure jobs one decision runs or with inline nodes turned off. The optimizer's memoize pass sets it. Only transform and join nodes may be marked (IMPURE_MEMO).",
        },
      },
      allOf: [{ $ref: '#/$defs/typedWith' }],
    },
    mapBody: {
      title: 'MapBody',
      description: 'A node without an id, run once per item.',
      type: 'object',
      required: ['type'],
      additionalProperties: false,
      properties: {
        type: { $ref: '#/$defs/bodyType' },
        with: { type: 'object', description: "The type's configuration." },
        input: { $ref: '#/$defs/expression' },
        retry: { $ref: '#/$defs/retry' },
        timeoutMs: { $ref: '#/$defs/timeoutMs' },
        priority: { $ref: '#/$defs/priority' },
        description: { type: 'string' },
      },
      allOf: [{ $ref: '#/$defs/jobTypedWith' }],
    },
    typedWith: {
      description: 'The `with` schema of each node type.',
      allOf: [
        { $ref: '#/$defs/jobTypedWith' },
        {
          if: { type: 'object', required: ['type'], properties: { type: { const: 'map' } } },
          then: {
            type: 'object',
            required: ['with'],
            properties: { with: { $ref: '#/$defs/mapConfig' } },
          },
        },
        {
          if: { type: 'object', required: ['type'], properties: { type: { const: 'join' } } },
          then: { type: 'object', properties: { with: { $ref: '#/$defs/joinConfig' } } },
        },
        {
          if: {
            type: 'object',
            required: ['type'],
            properties: { type: { const: 'subworkflow' } },
          },
          then: {
            type: 'object',
            required: ['with'],
            properties: { with: { $ref: '#/$defs/subworkflowConfig' } },
          },
        },
        {
          if: { type: 'object', required: ['type'], properties: { type: { const: 'approval' } } },
          then: {
            type: 'object',
            required: ['with'],
            properties: { with: { $ref: '#/$defs/approvalConfig' } },
          },
        },
        {
          if: { type: 'object', required: ['type'], properties: { type: { const: 'ask' } } },
          then: {
            type: 'object',
            required: ['with'],
            properties: { with: { $ref: '#/$defs/askConfig' } },
          },
        },
        {
          if: { type: 'object', required: ['type'], properties: { type: { const: 'timer' } } },
          then: {
            type: 'object',
            required: ['with'],
            properties: { with: { $ref: '#/$defs/timerConfig' } },
          },
        },
      ],
    },
    jobTypedWith: {
      description:
        'The `with` schema of each node type a runner executes (the types a map body may have).',
      allOf: [
        {
          if: { type: 'object', required: ['type'], properties: { type: { const: 'task' } } },
          then: {
            type: 'object',
            required: ['with'],
            properties: { with: { $ref: '#/$defs/taskConfig' } },
          },
        },
        {
          if: { type: 'object', required: ['type'], properties: { type: { const: 'http' } } },
          then: {
            type: 'object',
            required: ['with'],
            properties: { with: { $ref: '#/$defs/httpConfig' } },
          },
        },
        {
          if: { type: 'object', required: ['type'], properties: { type: { const: 'transform' } } },
          then: {
            type: 'object',
            required: ['with'],
            properties: { with: { $ref: '#/$defs/transformConfig' } },
          },
        },
        {
          if: { type: 'object', required: ['type'], properties: { type: { const: 'llm' } } },
          then: {
            type: 'object',
            required: ['with'],
            properties: { with: { $ref: '#/$defs/llmConfig' } },
          },
        },
        {
          if: { type: 'object', required: ['type'], properties: { type: { const: 'agent' } } },
          then: {
            type: 'object',
            required: ['with'],
            properties: { with: { $ref: '#/$defs/agentConfig' } },
          },
        },
        {
          if: { type: 'object', required: ['type'], properties: { type: { const: 'code' } } },
          then: {
            type: 'object',
            required: ['with'],
            properties: { with: { $ref: '#/$defs/codeConfig' } },
          },
        },
        {
          if: { type: 'object', required: ['type'], properties: { type: { const: 'fs' } } },
          then: {
            type: 'object',
            required: ['with'],
            properties: { with: { $ref: '#/$defs/fsConfig' } },
          },
        },
        {
          if: { type: 'object', required: ['type'], properties: { type: { const: 'search' } } },
          then: {
            type: 'object',
            required: ['with'],
            properties: { with: { $ref: '#/$defs/searchConfig' } },
          },
        },
      ],
    },
    taskConfig: {
      title: 'TaskConfig',
      description: 'Runs a registered handler; other properties are passed to it as configuration.',
      type: 'object',
      required: ['handler'],
      properties: { handler: { type: 'string', minLength: 1 } },
    },
    httpConfig: {
      title: 'HttpConfig',
      description:
        'An HTTP request, SSRF-guarded. Output: { status, headers, body } (body parsed when the answer is JSON, text otherwise); a status of 400 or more fails the node with HTTP_STATUS (retried for 5xx and 429).',
      type: 'object',
      required: ['method', 'url'],
      additionalProperties: false,
      properties: {
        method: { enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] },
        url: { $ref: '#/$defs/httpUrl' },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        body: { description: 'The request body (JSON), or an expression.' },
        timeoutMs: { $ref: '#/$defs/timeoutMs' },
      },
    },
    transformConfig: {
      title: 'TransformConfig',
      type: 'object',
      required: ['value'],
      additionalProperties: false,
      properties: {
        value: {
          description: "The node's output: a JSON value whose expression strings are evaluated.",
        },
      },
    },
    mapConfig: {
      title: 'MapConfig',
      type: 'object',
      required: ['items', 'body'],
      additionalProperties: false,
      properties: {
        items: {
          type: ['string', 'array'],
          description: 'The array to fan out over, or an expression that yields it.',
          if: { type: 'string' },
          then: { $ref: '#/$defs/expression' },
        },
        concurrency: { type: 'integer', minimum: 1, default: 4 },
        body: { $ref: '#/$defs/mapBody' },
      },
    },
    joinConfig: {
      title: 'JoinConfig',
      type: 'object',
      additionalProperties: false,
      properties: {
        mode: { enum: ['all', 'any', 'n'], default: 'all' },
        n: { type: 'integer', minimum: 1 },
      },
      if: { type: 'object', required: ['mode'], properties: { mode: { const: 'n' } } },
      then: { type: 'object', required: ['n'], properties: { n: true } },
    },
    subworkflowConfig: {
      title: 'SubworkflowConfig',
      type: 'object',
      required: ['workflow'],
      additionalProperties: false,
      properties: {
        workflow: { $ref: '#/$defs/workflowRef' },
        inputs: { description: "The child run's inputs, or an expression that yields them." },
      },
    },
    approvalConfig: {
      title: 'ApprovalConfig',
      type: 'object',
      required: ['approvers'],
      additionalProperties: false,
      properties: {
        approvers: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        quorum: { type: 'integer', minimum: 1, default: 1 },
        message: { type: 'string', description: 'What the approvers are asked.' },
        timeoutMs: { $ref: '#/$defs/msOrExpression' },
        onTimeout: { enum: ['approve', 'reject', 'escalate', 'fail'], default: 'fail' },
        escalateTo: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        defaultDecision: {
          enum: ['approve', 'reject'],
          default: 'reject',
          description: 'Applied when an escalation times out too.',
        },
      },
      if: {
        type: 'object',
        required: ['onTimeout'],
        properties: { onTimeout: { const: 'escalate' } },
      },
      then: { type: 'object', required: ['escalateTo'], properties: { escalateTo: true } },
    },
    askConfig: {
      title: 'AskConfig',
      description:
        'A question to a person; the node\'s output is {"answer", "by"}. The answer must be one of `choices` (when given) and valid against `schema` (when given).',
      type: 'object',
      required: ['question'],
      additionalProperties: false,
      properties: {
        question: {
          type: 'string',
          minLength: 1,
          description:
            'What the askees are asked, or an expression that yields it (evaluated when the node starts).',
        },
        choices: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: ['string', 'number', 'boolean'] },
          description: 'The answers allowed; absent: any answer (valid against `schema`).',
        },
        schema: { type: 'object', description: 'A JSON Schema the answer must be valid against.' },
        askees: {
          type: 'array',
          minItems: 1,
          items: { type: 'string', minLength: 1 },
          description:
            "Who may answer, in the forms approvers take (a subject, role:<role>, group:<name>); absent: anyone who may decide approvals in the run's namespace.",
        },
        timeoutMs: { $ref: '#/$defs/msOrExpression' },
        onTimeout: {
          enum: ['fail', 'default'],
          default: 'fail',
          description:
            'When no answer came in time: fail the node (QUESTION_TIMEOUT), or answer `default` for the askees (ports success and timeout fire).',
        },
        default: {
          description: 'The answer recorded when the question times out with onTimeout: default.',
        },
      },
      if: {
        type: 'object',
        required: ['onTimeout'],
        properties: { onTimeout: { const: 'default' } },
      },
      then: { type: 'object', required: ['default'], properties: { default: true } },
    },
    timerConfig: {
      title: 'TimerConfig',
      description: 'Exactly one of `durationMs` and `until`.',
      type: 'object',
      additionalProperties: false,
      properties: {
        durationMs: { $ref: '#/$defs/msOrExpression' },
        until: { $ref: '#/$defs/instantOrExpression' },
      },
      oneOf: [
        { type: 'object', required: ['durationMs'], properties: { durationMs: true } },
        { type: 'object', required: ['until'], properties: { until: true } },
      ],
    },
    edge: {
      title: 'EdgeDefinition',
      type: 'object',
      required: ['from', 'to'],
      additionalProperties: false,
      properties: {
        from: { type: 'string', minLength: 1 },
        to: { type: 'string', minLength: 1 },
        on: {
          type: 'string',
          minLength: 1,
          default: 'success',
          description:
            "Outcome port: success (default), failure; approval's approved | rejected | timeout; ask's timeout.",
        },
        when: { $ref: '#/$defs/expression', description: 'A JSONata guard.' },
      },
    },
    llmConfig: {
      title: 'LlmConfig',
      description:
        "An OpenAI-compatible chat completion. The endpoint, key and model aliases come from the runner's settings (AOB_LLM_*), never from here. Output: { content, json? (with schema), finishReason, model, usage: { promptTokens, completionTokens } }.",
      type: 'object',
      required: ['model'],
      additionalProperties: false,
      oneOf: [
        { properties: { prompt: true }, required: ['prompt'] },
        { properties: { messages: true }, required: ['messages'] },
      ],
      properties: {
        model: {
          type: 'string',
          minLength: 1,
          description: 'A model name, or an alias from AOB_LLM_MODELS.',
        },
        prompt: {
          type: 'string',
          description: 'The user message (exactly one of prompt and messages).',
        },
        messages: {
          description: 'The conversation, or an expression that yields it.',
          type: ['array', 'string'],
          minItems: 1,
          items: {
            type: 'object',
            required: ['role', 'content'],
            additionalProperties: false,
            properties: {
              role: { enum: ['system', 'developer', 'user', 'assistant'] },
              content: { type: 'string' },
            },
          },
          if: { type: 'string' },
          then: { $ref: '#/$defs/expression' },
        },
        system: { type: 'string', description: 'A system message put first.' },
        temperature: {
          type: ['number', 'string'],
          minimum: 0,
          maximum: 2,
          if: { type: 'string' },
          then: { $ref: '#/$defs/expression' },
        },
        maxTokens: {
          type: ['integer', 'string'],
          minimum: 1,
          if: { type: 'string' },
          then: { $ref: '#/$defs/expression' },
        },
        schema: {
          type: 'object',
          description:
            "A JSON Schema the reply must satisfy (structured output); the parsed reply is the output's json.",
        },
        schemaName: {
          type: 'string',
          description: 'The name sent with the schema; letters, digits, _ and - (1–64).',
          maxLength: 64,
        },
      },
    },
    agentConfig: {
      title: 'AgentConfig',
      description:
        "An agent on one of two frameworks, with the graph tools (get_graph, get_node_output, propose_patch) and the tools granted here. Its LLM endpoint comes from the runner's settings.",
      type: 'object',
      required: ['framework', 'model', 'prompt'],
      additionalProperties: false,
      properties: {
        framework: { enum: ['openai-agents', 'langgraph'] },
        model: { type: 'string', minLength: 1 },
        instructions: { type: 'string' },
        prompt: {
          type: 'string',
          minLength: 1,
          description: 'The task, sent as the user message.',
        },
        tools: {
          type: 'array',
          uniqueItems: true,
          items: { enum: ['http', 'search', 'fs', 'code'] },
        },
        mcp: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' },
          description:
            "MCP servers whose tools the agent has, by their names in the runner's settings (AOB_MCP_SERVERS), never by address; each tool is offered as `<server>__<tool>`.",
        },
        maxTurns: {
          type: ['integer', 'string'],
          minimum: 1,
          maximum: 50,
          default: 10,
          if: { type: 'string' },
          then: { $ref: '#/$defs/expression' },
        },
        schema: { type: 'object', description: 'A JSON Schema the final output must satisfy.' },
        runsOn: {
          type: 'string',
          pattern: '^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$',
          description:
            "Runs the agent on a runner outside the cluster (`aob agent-runner --labels`) that carries this label, instead of on a cluster runner. Its job waits in the API's runner queue until such a runner claims it.",
        },
        ask: {
          type: 'object',
          additionalProperties: false,
          description:
            'Gives the agent the ask_user tool: a question to a person suspends the agent durably until it is answered.',
          properties: {
            askees: {
              type: 'array',
              minItems: 1,
              items: { type: 'string', minLength: 1 },
              description:
                "Who may answer, in the forms approvers take; absent: anyone who may decide approvals in the run's namespace.",
            },
            timeoutMs: {
              $ref: '#/$defs/msOrExpression',
              description:
                'How long a question may wait; then the node fails with QUESTION_TIMEOUT.',
            },
          },
        },
      },
    },
    codeConfig: {
      title: 'CodeConfig',
      description:
        'A JavaScript or Python snippet in a child process (see the sandbox README for what it does and does not stop).',
      type: 'object',
      required: ['language', 'source'],
      additionalProperties: false,
      properties: {
        language: { enum: ['javascript', 'python'] },
        source: { type: 'string' },
        timeoutMs: {
          type: ['number', 'string'],
          exclusiveMinimum: 0,
          maximum: 300000,
          default: 10000,
          if: { type: 'string' },
          then: { $ref: '#/$defs/expression' },
        },
        memoryMb: {
          type: ['integer', 'string'],
          minimum: 16,
          maximum: 8192,
          default: 256,
          if: { type: 'string' },
          then: { $ref: '#/$defs/expression' },
        },
        network: { type: 'boolean', default: false },
      },
    },
    fsConfig: {
      title: 'FsConfig',
      description:
        "A file operation confined to the runner's workspace (AOB_WORKSPACE); paths are relative to it.",
      type: 'object',
      required: ['op', 'path'],
      additionalProperties: false,
      properties: {
        op: { enum: ['read', 'write', 'list', 'move', 'delete', 'stat', 'mkdir'] },
        path: { type: 'string' },
        to: { type: 'string', description: 'The destination of a move.' },
        content: { type: 'string', description: 'What a write writes.' },
        encoding: { enum: ['utf8', 'base64'], default: 'utf8' },
        recursive: { type: 'boolean' },
      },
    },
    searchConfig: {
      title: 'SearchConfig',
      description:
        "A web search on the runner's backend (AOB_SEARCH_URL). Output: { query, results: [{ title, url, snippet }] }.",
      type: 'object',
      required: ['query'],
      additionalProperties: false,
      properties: {
        query: { type: 'string', minLength: 1 },
        limit: {
          type: ['integer', 'string'],
          minimum: 1,
          maximum: 50,
          default: 10,
          if: { type: 'string' },
          then: { $ref: '#/$defs/expression' },
        },
      },
    },
  },
} as const;

/** schemas/event.schema.json */
export const eventSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://aob.dev/schemas/event.schema.json',
  title: 'RunEventEnvelope',
  description: 'A persisted run event. `seq` is dense per run, from 1; `data` depends on `type`.',
  type: 'object',
  required: ['runId', 'seq', 'type', 'at', 'irHash', 'data'],
  additionalProperties: false,
  properties: {
    runId: { type: 'string', minLength: 1 },
    seq: { type: 'integer', minimum: 1 },
    type: { $ref: '#/$defs/eventType' },
    at: {
      type: 'integer',
      minimum: 0,
      description: 'Epoch milliseconds, from the injected clock.',
    },
    irHash: { $ref: '#/$defs/irHash' },
    data: { type: 'object' },
    actor: { type: 'string' },
    traceparent: {
      type: 'string',
      description: 'W3C trace context.',
      pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
    },
  },
  allOf: [
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'RunStarted' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/runStartedData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'NodeScheduled' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/nodeScheduledData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'NodeStarted' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/nodeStartedData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'NodeSucceeded' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/nodeSucceededData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'NodeFailed' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/nodeFailedData' } } },
    },
    {
      if: {
        type: 'object',
        required: ['type'],
        properties: { type: { const: 'NodeRetryScheduled' } },
      },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/nodeRetryScheduledData' } } },
    },
    {
      if: {
        type: 'object',
        required: ['type'],
        properties: { type: { const: 'NodeRedispatched' } },
      },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/nodeRedispatchedData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'NodeSkipped' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/nodeSkippedData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'NodeLog' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/nodeLogData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'TimerScheduled' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/timerScheduledData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'TimerFired' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/timerFiredData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'QuestionAsked' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/questionAskedData' } } },
    },
    {
      if: {
        type: 'object',
        required: ['type'],
        properties: { type: { const: 'QuestionAnswered' } },
      },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/questionAnsweredData' } } },
    },
    {
      if: {
        type: 'object',
        required: ['type'],
        properties: { type: { const: 'ApprovalRequested' } },
      },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/approvalRequestedData' } } },
    },
    {
      if: {
        type: 'object',
        required: ['type'],
        properties: { type: { const: 'ApprovalEscalated' } },
      },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/approvalEscalatedData' } } },
    },
    {
      if: {
        type: 'object',
        required: ['type'],
        properties: { type: { const: 'ApprovalDecided' } },
      },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/approvalDecidedData' } } },
    },
    {
      if: {
        type: 'object',
        required: ['type'],
        properties: { type: { const: 'ApprovalReassigned' } },
      },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/approvalReassignedData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'PatchProposed' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/patchProposedData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'PatchHeld' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/patchHeldData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'PatchRejected' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/patchRejectedData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'PatchApplied' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/patchAppliedData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'PatchReverted' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/patchRevertedData' } } },
    },
    {
      if: {
        type: 'object',
        required: ['type'],
        properties: { type: { const: 'ChildRunStarted' } },
      },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/childRunStartedData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'RunWaiting' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/runWaitingData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'BudgetExceeded' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/budgetExceededData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'BudgetRaised' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/budgetRaisedData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'RunCompleted' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/runCompletedData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'RunFailed' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/runFailedData' } } },
    },
    {
      if: { type: 'object', required: ['type'], properties: { type: { const: 'RunCancelled' } } },
      then: { type: 'object', properties: { data: { $ref: '#/$defs/runCancelledData' } } },
    },
  ],
  $defs: {
    eventType: {
      title: 'EventType',
      enum: [
        'RunStarted',
        'NodeScheduled',
        'NodeStarted',
        'NodeSucceeded',
        'NodeFailed',
        'NodeRetryScheduled',
        'NodeRedispatched',
        'NodeSkipped',
        'NodeLog',
        'TimerScheduled',
        'TimerFired',
        'ApprovalRequested',
        'ApprovalEscalated',
        'ApprovalDecided',
        'ApprovalReassigned',
        'QuestionAsked',
        'QuestionAnswered',
        'PatchProposed',
        'PatchHeld',
        'PatchRejected',
        'PatchApplied',
        'PatchReverted',
        'ChildRunStarted',
        'RunWaiting',
        'BudgetExceeded',
        'BudgetRaised',
        'RunCompleted',
        'RunFailed',
        'RunCancelled',
      ],
    },
    nodeId: { type: 'string', minLength: 1 },
    irHash: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
    priority: { enum: ['high', 'medium', 'low'] },
    casRef: {
      title: 'CasRef',
      description:
        'A reference to a value in the content-addressed store: sha256 of its RFC 8785 canonical JSON.',
      type: 'object',
      required: ['$cas', 'size'],
      additionalProperties: false,
      properties: {
        $cas: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
        size: { type: 'integer', minimum: 0 },
      },
    },
    errorData: {
      title: 'ErrorData',
      type: 'object',
      required: ['code', 'message', 'retryable'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', minLength: 1 },
        message: { type: 'string' },
        retryable: { type: 'boolean' },
        details: {},
      },
    },
    problem: {
      title: 'Problem',
      type: 'object',
      required: ['code', 'path', 'message'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', minLength: 1 },
        path: { type: 'string' },
        message: { type: 'string' },
      },
    },
    recordedResult: {
      title: 'RecordedResult',
      description: 'Recorded outcome of a node in an earlier run, reused by a replay.',
      type: 'object',
      required: ['outcome', 'route'],
      additionalProperties: false,
      properties: {
        outcome: { enum: ['succeeded', 'failed'] },
        output: { $ref: '#/$defs/casRef' },
        error: { $ref: '#/$defs/errorData' },
        route: { type: 'array', items: { type: 'string' } },
        ports: { type: 'array', items: { type: 'string' } },
        inputHash: { type: 'string' },
      },
    },
    replaySpec: {
      title: 'ReplaySpec',
      type: 'object',
      required: ['of', 'fromNode', 'mode', 'recorded'],
      additionalProperties: false,
      properties: {
        of: { type: 'string', minLength: 1 },
        fromNode: { $ref: '#/$defs/nodeId' },
        mode: { enum: ['freeze', 'live'] },
        recorded: {
          type: 'object',
          description: 'Recorded results of the original run, by node id.',
          additionalProperties: { $ref: '#/$defs/recordedResult' },
        },
      },
    },
    runStartedData: {
      title: 'RunStartedData',
      type: 'object',
      required: ['workflow', 'inputs'],
      additionalProperties: false,
      properties: {
        workflow: {
          type: 'object',
          required: ['name', 'version'],
          additionalProperties: false,
          properties: { name: { type: 'string' }, version: { type: 'string' } },
        },
        inputs: { $ref: '#/$defs/casRef' },
        parent: {
          type: 'object',
          required: ['runId', 'nodeId'],
          additionalProperties: false,
          properties: {
            runId: { type: 'string', minLength: 1 },
            nodeId: { $ref: '#/$defs/nodeId' },
          },
        },
        replay: { $ref: '#/$defs/replaySpec' },
        schedule: {
          type: 'object',
          description:
            'The schedule tick that started the run (its id is derived from the schedule and the tick).',
          required: ['scheduleId', 'tick', 'reason'],
          additionalProperties: false,
          properties: {
            scheduleId: { type: 'string', minLength: 1 },
            tick: { type: 'integer', minimum: 0 },
            reason: { enum: ['tick', 'trigger', 'backfill'] },
          },
        },
        namespace: {
          type: 'string',
          pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
          description: 'The tenant the run belongs to (ARCHITECTURE §9). Absent: `default`.',
        },
        budget: { $ref: '#/$defs/budget' },
        budgetTimer: {
          type: 'object',
          description: "The timer that ends the run's wall-time budget.",
          required: ['timerId', 'dueAt'],
          additionalProperties: false,
          properties: {
            timerId: { type: 'string', minLength: 1 },
            dueAt: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    nodeScheduledData: {
      title: 'NodeScheduledData',
      type: 'object',
      required: ['nodeId', 'attempt', 'input', 'inputHash', 'priority'],
      additionalProperties: false,
      properties: {
        nodeId: { $ref: '#/$defs/nodeId' },
        attempt: { type: 'integer', minimum: 1 },
        iteration: { type: 'integer', minimum: 0 },
        input: { $ref: '#/$defs/casRef' },
        inputHash: { type: 'string' },
        priority: { $ref: '#/$defs/priority' },
        items: {
          type: 'integer',
          minimum: 0,
          description: 'For a map node: how many items it fans out over.',
        },
      },
    },
    nodeStartedData: {
      title: 'NodeStartedData',
      type: 'object',
      required: ['nodeId', 'attempt'],
      additionalProperties: false,
      properties: {
        nodeId: { $ref: '#/$defs/nodeId' },
        attempt: { type: 'integer', minimum: 1 },
        iteration: { type: 'integer', minimum: 0 },
      },
    },
    nodeSucceededData: {
      title: 'NodeSucceededData',
      type: 'object',
      required: ['nodeId', 'attempt', 'output'],
      additionalProperties: false,
      properties: {
        nodeId: { $ref: '#/$defs/nodeId' },
        attempt: { type: 'integer', minimum: 1 },
        iteration: { type: 'integer', minimum: 0 },
        output: { $ref: '#/$defs/casRef' },
        ports: {
          type: 'array',
          items: { type: 'string' },
          description:
            'Outcome ports that fired (success; or approved/rejected/timeout). Absent for iterations.',
        },
        route: {
          type: 'array',
          items: { type: 'string' },
          description: 'Target node ids of the outgoing edges taken. Absent for iterations.',
        },
        reused: {
          enum: ['recorded', 'frozen'],
          description: 'Set when the output was not computed but reused from an earlier run.',
        },
        usage: { $ref: '#/$defs/nodeUsage' },
      },
    },
    nodeFailedData: {
      title: 'NodeFailedData',
      type: 'object',
      required: ['nodeId', 'attempt', 'error', 'final'],
      additionalProperties: false,
      properties: {
        nodeId: { $ref: '#/$defs/nodeId' },
        attempt: { type: 'integer', minimum: 1 },
        iteration: { type: 'integer', minimum: 0 },
        error: { $ref: '#/$defs/errorData' },
        final: {
          type: 'boolean',
          description: 'No retry follows: the node (or iteration) has failed for good.',
        },
        handled: { type: 'boolean', description: 'A final failure caught by a `failure` edge.' },
        route: { type: 'array', items: { type: 'string' } },
        reused: { enum: ['recorded'] },
        usage: {
          $ref: '#/$defs/nodeUsage',
          description:
            'Tokens (and their price) the attempt spent before it failed; on a subworkflow node, what its child run spent.',
        },
      },
    },
    nodeRetryScheduledData: {
      title: 'NodeRetryScheduledData',
      type: 'object',
      required: ['nodeId', 'attempt', 'delayMs', 'dueAt', 'timerId'],
      additionalProperties: false,
      properties: {
        nodeId: { $ref: '#/$defs/nodeId' },
        iteration: { type: 'integer', minimum: 0 },
        attempt: { type: 'integer', minimum: 1 },
        delayMs: { type: 'integer', minimum: 0 },
        dueAt: { type: 'integer', minimum: 0 },
        timerId: { type: 'string', minLength: 1 },
      },
    },
    nodeRedispatchedData: {
      title: 'NodeRedispatchedData',
      description:
        'The attempt in flight made no progress past its deadline (its job or its result was lost, or its runner is gone): its job was sent again. The same attempt: a runner that finished it answers with its result, one that is running it keeps it.',
      type: 'object',
      required: ['nodeId', 'attempt', 'overdueMs'],
      additionalProperties: false,
      properties: {
        nodeId: { $ref: '#/$defs/nodeId' },
        iteration: { type: 'integer', minimum: 0 },
        attempt: { type: 'integer', minimum: 1 },
        overdueMs: {
          description:
            "How long past its deadline (the attempt's timeout and the grace) it was when re-sent.",
          type: 'integer',
          minimum: 0,
        },
      },
    },
    nodeSkippedData: {
      title: 'NodeSkippedData',
      type: 'object',
      required: ['nodeId', 'reason'],
      additionalProperties: false,
      properties: { nodeId: { $ref: '#/$defs/nodeId' }, reason: { type: 'string' } },
    },
    nodeLogData: {
      title: 'NodeLogData',
      type: 'object',
      required: ['nodeId', 'attempt', 'level', 'message'],
      additionalProperties: false,
      properties: {
        nodeId: { $ref: '#/$defs/nodeId' },
        attempt: { type: 'integer', minimum: 1 },
        iteration: {
          description: "The map item that logged, for a map node's body.",
          type: 'integer',
          minimum: 0,
        },
        level: { type: 'string' },
        message: { type: 'string' },
      },
    },
    timerScheduledData: {
      title: 'TimerScheduledData',
      type: 'object',
      required: ['timerId', 'nodeId', 'dueAt', 'purpose'],
      additionalProperties: false,
      properties: {
        timerId: { type: 'string', minLength: 1 },
        nodeId: { $ref: '#/$defs/nodeId' },
        dueAt: { type: 'integer', minimum: 0 },
        purpose: { enum: ['timer', 'approval'] },
      },
    },
    timerFiredData: {
      title: 'TimerFiredData',
      type: 'object',
      required: ['timerId'],
      additionalProperties: false,
      properties: { timerId: { type: 'string', minLength: 1 } },
    },
    questionAskedData: {
      title: 'QuestionAskedData',
      description:
        'A question to people: by an ask node (no `resume`), or by an agent that suspended to ask (`resume`: its saved state, from which its job goes on once answered).',
      type: 'object',
      required: ['questionId', 'nodeId', 'attempt', 'question', 'askees'],
      additionalProperties: false,
      properties: {
        questionId: { type: 'string', minLength: 1 },
        nodeId: { $ref: '#/$defs/nodeId' },
        attempt: { type: 'integer', minimum: 1 },
        iteration: { type: 'integer', minimum: 0 },
        question: { type: 'string' },
        choices: { type: 'array', items: { type: ['string', 'number', 'boolean'] } },
        schema: { type: 'object', description: 'A JSON Schema the answer must be valid against.' },
        askees: {
          type: 'array',
          items: { type: 'string' },
          description:
            "Who may answer (the approvers' forms); empty: anyone who may decide approvals in the run's namespace.",
        },
        dueAt: { type: 'integer', minimum: 0 },
        timerId: { type: 'string', minLength: 1 },
        resume: {
          $ref: '#/$defs/casRef',
          description: "The suspended agent's state in the content store.",
        },
        usage: { $ref: '#/$defs/nodeUsage', description: 'What the agent spent before it asked.' },
      },
    },
    questionAnsweredData: {
      title: 'QuestionAnsweredData',
      type: 'object',
      required: ['questionId', 'nodeId', 'answer', 'by'],
      additionalProperties: false,
      properties: {
        questionId: { type: 'string', minLength: 1 },
        nodeId: { $ref: '#/$defs/nodeId' },
        iteration: { type: 'integer', minimum: 0 },
        answer: { description: 'Any JSON value: one of the choices, or valid against the schema.' },
        by: { type: 'string' },
        timedOut: {
          const: true,
          description: "No one answered in time: the ask node's `default` was recorded.",
        },
      },
    },
    approvalRequestedData: {
      title: 'ApprovalRequestedData',
      type: 'object',
      required: ['ticketId', 'nodeId', 'approvers', 'quorum'],
      additionalProperties: false,
      properties: {
        ticketId: { type: 'string', minLength: 1 },
        nodeId: { $ref: '#/$defs/nodeId' },
        approvers: { type: 'array', items: { type: 'string' } },
        quorum: { type: 'integer', minimum: 1 },
        dueAt: { type: 'integer', minimum: 0 },
        timerId: { type: 'string', minLength: 1 },
        message: {
          type: 'string',
          description:
            "The approval node's message to its approvers, evaluated when the ticket opened.",
        },
      },
    },
    approvalEscalatedData: {
      title: 'ApprovalEscalatedData',
      type: 'object',
      required: ['ticketId', 'approvers'],
      additionalProperties: false,
      properties: {
        ticketId: { type: 'string', minLength: 1 },
        approvers: { type: 'array', items: { type: 'string' } },
        dueAt: { type: 'integer', minimum: 0 },
        timerId: { type: 'string', minLength: 1 },
      },
    },
    approvalDecidedData: {
      title: 'ApprovalDecidedData',
      type: 'object',
      required: ['ticketId', 'decision', 'by'],
      additionalProperties: false,
      properties: {
        ticketId: { type: 'string', minLength: 1 },
        decision: { enum: ['approved', 'rejected'] },
        by: { type: 'string' },
        reason: { type: 'string' },
        timedOut: {
          const: true,
          description:
            "Decided by the ticket's timeout (the default decision): final whatever the quorum.",
        },
      },
    },
    approvalReassignedData: {
      title: 'ApprovalReassignedData',
      description:
        "An open ticket's approvers are replaced. Approvals given before stop counting toward the quorum: the new approvers decide afresh.",
      type: 'object',
      required: ['ticketId', 'approvers', 'by'],
      additionalProperties: false,
      properties: {
        ticketId: { type: 'string', minLength: 1 },
        approvers: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        by: { type: 'string', minLength: 1 },
        reason: { type: 'string' },
      },
    },
    patchProposedData: {
      title: 'PatchProposedData',
      type: 'object',
      required: ['patchId', 'patch'],
      additionalProperties: false,
      properties: {
        patchId: { type: 'string', minLength: 1 },
        patch: { description: 'The proposed patch document, as received (it may be invalid).' },
      },
    },
    patchRejectedData: {
      title: 'PatchRejectedData',
      type: 'object',
      required: ['patchId', 'violations'],
      additionalProperties: false,
      properties: {
        patchId: { type: 'string', minLength: 1 },
        violations: { type: 'array', items: { $ref: '#/$defs/problem' } },
        reviewedBy: {
          description: 'The person who approved or rejected a held patch.',
          type: 'string',
          minLength: 1,
        },
        reason: { type: 'string' },
      },
    },
    patchHeldData: {
      title: 'PatchHeldData',
      type: 'object',
      required: ['patchId', 'reasons'],
      additionalProperties: false,
      properties: {
        patchId: { type: 'string', minLength: 1 },
        reasons: {
          description:
            "Why a person must decide: the findings the workflow's patch policy holds for.",
          type: 'array',
          items: { $ref: '#/$defs/problem' },
        },
        reviewers: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
    },
    patchAppliedData: {
      title: 'PatchAppliedData',
      type: 'object',
      required: ['patchId', 'irHash'],
      additionalProperties: false,
      properties: {
        patchId: { type: 'string', minLength: 1 },
        irHash: { $ref: '#/$defs/irHash' },
        author: { type: 'string', minLength: 1 },
        added: {
          description:
            "The node ids the patch added (they count against the author's spawn limit).",
          type: 'array',
          items: { type: 'string', minLength: 1 },
        },
        routes: {
          description:
            'Targets of new edges out of already finished nodes that are taken, by source node.',
          type: 'object',
          additionalProperties: { type: 'array', items: { type: 'string', minLength: 1 } },
        },
        reviewedBy: {
          description: 'The person who approved or rejected a held patch.',
          type: 'string',
          minLength: 1,
        },
        reason: { type: 'string' },
      },
    },
    patchRevertedData: {
      title: 'PatchRevertedData',
      type: 'object',
      required: ['patchId', 'irHash'],
      additionalProperties: false,
      properties: { patchId: { type: 'string', minLength: 1 }, irHash: { $ref: '#/$defs/irHash' } },
    },
    childRunStartedData: {
      title: 'ChildRunStartedData',
      type: 'object',
      required: ['nodeId', 'childRunId', 'workflow'],
      additionalProperties: false,
      properties: {
        nodeId: { $ref: '#/$defs/nodeId' },
        childRunId: { type: 'string', minLength: 1 },
        workflow: { type: 'string' },
      },
    },
    runWaitingData: {
      title: 'RunWaitingData',
      type: 'object',
      required: ['tickets'],
      additionalProperties: false,
      properties: {
        tickets: { type: 'array', items: { type: 'string' } },
        questions: {
          type: 'array',
          items: { type: 'string' },
          description: 'The open questions the run waits on.',
        },
        budget: {
          const: true,
          description: 'The run crossed its budget and is paused until the limit is raised.',
        },
      },
    },
    budgetExceededData: {
      title: 'BudgetExceededData',
      type: 'object',
      required: ['limit', 'budget', 'used', 'onExceeded'],
      additionalProperties: false,
      properties: {
        limit: { enum: ['tokens', 'costUsd', 'wallMs', 'nodes'] },
        budget: { type: 'number', minimum: 0 },
        used: { type: 'number', minimum: 0 },
        onExceeded: { enum: ['fail', 'cancel', 'pause'] },
      },
    },
    budgetRaisedData: {
      title: 'BudgetRaisedData',
      description:
        'Someone changed the limits of a running run (a paused one goes on when they are no longer crossed).',
      type: 'object',
      required: ['budget', 'by'],
      additionalProperties: false,
      properties: {
        budget: { $ref: '#/$defs/budget', description: "The run's limits from now on." },
        by: { type: 'string' },
        reason: { type: 'string' },
        budgetTimer: {
          type: 'object',
          description: 'The timer that ends the new wall-time budget.',
          required: ['timerId', 'dueAt'],
          additionalProperties: false,
          properties: {
            timerId: { type: 'string', minLength: 1 },
            dueAt: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    runCompletedData: {
      title: 'RunCompletedData',
      type: 'object',
      required: ['output'],
      additionalProperties: false,
      properties: { output: { $ref: '#/$defs/casRef' } },
    },
    runFailedData: {
      title: 'RunFailedData',
      type: 'object',
      required: ['error'],
      additionalProperties: false,
      properties: { error: { $ref: '#/$defs/errorData' }, nodeId: { $ref: '#/$defs/nodeId' } },
    },
    runCancelledData: {
      title: 'RunCancelledData',
      type: 'object',
      required: [],
      additionalProperties: false,
      properties: { reason: { type: 'string' }, by: { type: 'string' } },
    },
    budget: {
      title: 'Budget',
      description:
        "Limits a run is held to. Crossing one appends BudgetExceeded and ends or pauses the run by `onExceeded`. An absent limit does not apply; a run is held to the smallest of each limit in its definition, its `--budget` and its namespace's budget.",
      type: 'object',
      additionalProperties: false,
      properties: {
        tokens: {
          type: 'integer',
          minimum: 0,
          description:
            'Prompt plus completion tokens of every llm and agent node. Crossed when more are used.',
        },
        costUsd: {
          type: 'number',
          minimum: 0,
          description:
            "US dollars, priced by the runners' AOB_LLM_PRICES (per model alias, per million tokens) as tokens are reported. Crossed when more is spent.",
        },
        wallMs: { type: 'integer', minimum: 1, description: "Milliseconds from the run's start." },
        nodes: {
          type: 'integer',
          minimum: 0,
          description:
            'Node executions: every attempt of every node and map item. The execution past this many is not scheduled. A child run inherits what its parent has left, which may be 0.',
        },
        onExceeded: {
          enum: ['fail', 'cancel', 'pause'],
          default: 'fail',
          description:
            '`fail`: the run fails with BUDGET_EXCEEDED. `cancel`: the run is cancelled. Either way work in flight is aborted. `pause`: the run waits (nothing new is scheduled; work in flight finishes) until someone raises the limit (BudgetRaised) or cancels it.',
        },
      },
    },
    nodeUsage: {
      title: 'NodeUsage',
      description:
        "Tokens an attempt reported spending, and their price in US dollars when the runner knows the model's; on a subworkflow node, everything its child run spent.",
      type: 'object',
      required: ['promptTokens', 'completionTokens'],
      additionalProperties: false,
      properties: {
        promptTokens: { type: 'integer', minimum: 0 },
        completionTokens: { type: 'integer', minimum: 0 },
        costUsd: { type: 'number', minimum: 0 },
        nodes: {
          type: 'integer',
          minimum: 0,
          description:
            "A child run's node executions (a subworkflow node's usage): they count toward its parent's.",
        },
        unpriced: {
          type: 'integer',
          minimum: 0,
          description:
            "A child run's attempts whose tokens had no price (a subworkflow node's usage).",
        },
      },
    },
  },
} as const;

/** schemas/patch.schema.json */
export const patchSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://aob.dev/schemas/patch.schema.json',
  title: 'PatchDocument',
  description:
    'A JSON-Patch overlay proposed against a workflow (scope `workflow`) or one run (scope `run`). The validator applies further rules (paths, limits, immutable nodes) and reports every violation.',
  type: 'object',
  required: ['patchId', 'scope', 'target', 'baseIrHash', 'ops', 'author'],
  additionalProperties: false,
  properties: {
    patchId: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$' },
    scope: { enum: ['run', 'workflow'] },
    target: {
      type: 'string',
      minLength: 1,
      description: 'The run id (scope `run`) or the workflow `name@version` (scope `workflow`).',
    },
    baseIrHash: {
      type: 'string',
      pattern: '^sha256:[0-9a-f]{64}$',
      description: 'The IR the patch was written against; a different current IR makes it stale.',
    },
    ops: {
      type: 'array',
      minItems: 1,
      items: { $ref: '#/$defs/operation' },
      description: 'RFC 6902 operations, applied in order.',
    },
    author: { type: 'string', minLength: 1 },
    rationale: { type: 'string', description: 'Why the change is proposed.' },
  },
  $defs: {
    jsonPointer: {
      type: 'string',
      description: 'An RFC 6901 JSON Pointer.',
      pattern: '^(/([^~/]|~[01])*)*$',
    },
    operation: {
      title: 'PatchOperation',
      type: 'object',
      discriminator: { propertyName: 'op' },
      oneOf: [
        { $ref: '#/$defs/addOperation' },
        { $ref: '#/$defs/removeOperation' },
        { $ref: '#/$defs/replaceOperation' },
        { $ref: '#/$defs/moveOperation' },
        { $ref: '#/$defs/copyOperation' },
        { $ref: '#/$defs/testOperation' },
      ],
    },
    addOperation: {
      title: 'AddOperation',
      type: 'object',
      required: ['op', 'path', 'value'],
      additionalProperties: false,
      properties: { op: { const: 'add' }, path: { $ref: '#/$defs/jsonPointer' }, value: {} },
    },
    removeOperation: {
      title: 'RemoveOperation',
      type: 'object',
      required: ['op', 'path'],
      additionalProperties: false,
      properties: { op: { const: 'remove' }, path: { $ref: '#/$defs/jsonPointer' } },
    },
    replaceOperation: {
      title: 'ReplaceOperation',
      type: 'object',
      required: ['op', 'path', 'value'],
      additionalProperties: false,
      properties: { op: { const: 'replace' }, path: { $ref: '#/$defs/jsonPointer' }, value: {} },
    },
    moveOperation: {
      title: 'MoveOperation',
      type: 'object',
      required: ['op', 'from', 'path'],
      additionalProperties: false,
      properties: {
        op: { const: 'move' },
        from: { $ref: '#/$defs/jsonPointer' },
        path: { $ref: '#/$defs/jsonPointer' },
      },
    },
    copyOperation: {
      title: 'CopyOperation',
      type: 'object',
      required: ['op', 'from', 'path'],
      additionalProperties: false,
      properties: {
        op: { const: 'copy' },
        from: { $ref: '#/$defs/jsonPointer' },
        path: { $ref: '#/$defs/jsonPointer' },
      },
    },
    testOperation: {
      title: 'TestOperation',
      type: 'object',
      required: ['op', 'path', 'value'],
      additionalProperties: false,
      properties: { op: { const: 'test' }, path: { $ref: '#/$defs/jsonPointer' }, value: {} },
    },
  },
} as const;
