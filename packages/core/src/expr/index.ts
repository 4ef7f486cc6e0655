export {
  isExpression,
  expressionBody,
  parseExpression,
  compileExpression,
  NONDETERMINISTIC_FUNCTIONS,
  type CompiledExpression,
  type ParsedExpression,
  type ForbiddenUse,
  type ExpressionSyntaxError,
} from './expression.js';
export { compileTemplate, forEachExpression, escapePointer } from './template.js';
export { toJsonValue, truthy } from './json.js';
