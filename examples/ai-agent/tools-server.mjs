// The example agent's tools, as a tiny MCP server over stdio (the @modelcontextprotocol/sdk the
// agent's client uses too): read_file and run_tests, answering from canned data.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'agent-tools', version: '1.0.0' });
server.registerTool('read_file', { description: 'Read a source file', inputSchema: { path: z.string() } }, async ({ path }) => ({
  content: [{ type: 'text', text: `// ${path}\nexport const parse = (s) => s.split(',');` }],
}));
server.registerTool('run_tests', { description: 'Run the test suite', inputSchema: { path: z.string() } }, async ({ path }) => ({
  content: [{ type: 'text', text: `1 failing in ${path}: parse(" a, b") kept the spaces` }],
}));
await server.connect(new StdioServerTransport());
