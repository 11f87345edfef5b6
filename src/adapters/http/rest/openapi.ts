/** The REST bridge's contract, served at `/api/docs` (OpenAPI 3.1). Kept next to the controller it describes. */
const error = {
  type: 'object',
  properties: { code: { type: 'string' }, reason: {} },
  required: ['code', 'reason'],
};
const auth = [{ bearer: [] }];
const xmlBody = {
  required: true,
  content: {
    'application/xml': { schema: { type: 'string', description: 'a signed edXML package (QCVN 102:2016)' } },
  },
};
const submitted = {
  '202': {
    description: 'stored; copies on their way',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } },
  },
  '200': { description: 'the same package was sent before: its bus id' },
  '401': { description: 'no or unknown bearer token', content: { 'application/json': { schema: error } } },
  '413': { description: 'over the size cap (rejection receipt issued)' },
  '422': {
    description: 'refused, with the reason code of the rejection receipt',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Rejected' } } },
  },
};

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'edoc-bus REST bridge',
    version: '1',
    description:
      'For document systems that poll over HTTPS. Packages travel as raw application/xml; the bus checks them exactly as it checks AMQP submissions. Items stay in the inbox until acknowledged; a listing reserves what it returns for its poller.',
  },
  servers: [{ url: '/' }],
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'issued by edoc-bus endpoints provision' },
    },
    schemas: {
      Accepted: {
        type: 'object',
        properties: {
          outcome: { const: 'accepted' },
          busId: { type: 'string', format: 'uuid' },
          documentId: { type: 'string' },
          recipients: { type: 'array', items: { type: 'object' } },
          warnings: { type: 'array', items: { type: 'string' } },
        },
      },
      Rejected: {
        type: 'object',
        properties: {
          outcome: { const: 'rejected' },
          code: { type: 'string', examples: ['XSD_INVALID', 'SIG_INVALID', 'UNKNOWN_RECIPIENT'] },
          reason: { type: 'object', properties: { vi: { type: 'string' }, en: { type: 'string' } } },
          quarantineId: { type: 'string', format: 'uuid' },
        },
      },
      InboxItem: {
        type: 'object',
        properties: {
          docId: { type: 'string', format: 'uuid' },
          messageType: { enum: ['edoc', 'status', 'receipt'] },
          from: { type: ['string', 'null'] },
          documentId: { type: ['string', 'null'] },
          statusCode: { type: ['string', 'null'] },
          receiptOutcome: { type: ['string', 'null'] },
          lane: { enum: ['normal', 'urgent'] },
          state: { enum: ['pending', 'done', 'withdrawn', 'dead'] },
          failCount: { type: 'integer' },
          createdAt: { type: 'string', format: 'date-time' },
          cursor: { type: 'string' },
        },
      },
    },
  },
  security: auth,
  paths: {
    '/api/v1/documents': {
      post: { summary: 'send a document package', requestBody: xmlBody, responses: submitted },
    },
    '/api/v1/statuses': {
      post: {
        summary: 'send a status package (01 … 06, 13, 15, 16)',
        requestBody: xmlBody,
        responses: submitted,
      },
    },
    '/api/v1/inbox': {
      get: {
        summary: 'pending items, oldest first',
        parameters: [
          { name: 'types', in: 'query', schema: { type: 'string', default: 'edoc,status,receipt' } },
          {
            name: 'after',
            in: 'query',
            schema: { type: 'string' },
            description: 'the `next` of the previous page',
          },
          { name: 'limit', in: 'query', schema: { type: 'integer', default: 100, maximum: 500 } },
          {
            name: 'poller',
            in: 'query',
            schema: { type: 'string' },
            description: 'your poller name: what it listed stays its own for the lease',
          },
        ],
        responses: {
          '200': {
            description: 'a page',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    items: { type: 'array', items: { $ref: '#/components/schemas/InboxItem' } },
                    next: { type: ['string', 'null'] },
                    poller: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      },
    },
    '/api/v1/inbox/{docId}': {
      get: {
        summary: 'the package (a document fetched counts as delivered)',
        parameters: [
          { name: 'docId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        ],
        responses: {
          '200': { description: 'the package bytes', content: { 'application/xml': {} } },
          '404': { description: 'not waiting for you' },
        },
      },
    },
    '/api/v1/inbox/{docId}/ack': {
      post: {
        summary:
          'done (gone from the inbox), processing (keep it reserved), fail (available again; dead letter at the limit)',
        parameters: [
          { name: 'docId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        ],
        requestBody: {
          content: {
            'application/json': {
              schema: { type: 'object', properties: { outcome: { enum: ['done', 'processing', 'fail'] } } },
            },
          },
        },
        responses: { '201': { description: 'recorded' }, '404': { description: 'not waiting for you' } },
      },
    },
    '/api/v1/sent': {
      get: {
        summary: 'your sent documents and each recipient’s state, newest first',
        parameters: [
          { name: 'before', in: 'query', schema: { type: 'string' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', default: 50, maximum: 200 } },
        ],
        responses: { '200': { description: 'a page' } },
      },
    },
    '/api/v1/documents/{busId}/trace': {
      get: {
        summary: 'the whole picture of a document you sent: per recipient, state and history',
        parameters: [
          { name: 'busId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        ],
        responses: {
          '200': { description: 'the trace' },
          '404': { description: 'no such document of yours' },
        },
      },
    },
    '/api/v1/agencies': {
      get: {
        summary: 'the registry: endpoints (both code forms) and aliases',
        responses: { '200': { description: 'the registry' } },
      },
    },
  },
};
