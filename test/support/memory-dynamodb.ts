import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type GetItemCommandInput,
  type GetItemCommandOutput,
  type UpdateItemCommandInput,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/**
 * One DynamoDB table in memory, for aws-sdk-client-mock's `callsFake`: GetItem, and UpdateItem with
 * `SET a = :v, ... REMOVE b, ...` and conditions of `attribute_exists`/`attribute_not_exists`,
 * comparisons, AND, OR and parentheses. Like DynamoDB it refuses names or values an expression does
 * not use, and throws ConditionalCheckFailedException when a condition is false.
 */
export class MemoryTable {
  readonly items = new Map<string, Item>();

  constructor(readonly partitionKey: string) {}

  getItem(input: GetItemCommandInput): GetItemCommandOutput {
    const item = this.items.get(this.keyOf(input.Key));
    return { $metadata: {}, ...(item && { Item: structuredClone(item) }) };
  }

  updateItem(input: UpdateItemCommandInput): UpdateItemCommandOutput {
    const names = input.ExpressionAttributeNames ?? {};
    const values = input.ExpressionAttributeValues ?? {};
    const expressions = `${input.UpdateExpression ?? ''} ${input.ConditionExpression ?? ''}`;
    for (const placeholder of [...Object.keys(names), ...Object.keys(values)])
      if (!new RegExp(`${placeholder}\\b`).test(expressions)) throw new Error(`ValidationException: unused ${placeholder}`);
    const id = this.keyOf(input.Key);
    const current = this.items.get(id);
    if (input.ConditionExpression && !new Condition(input.ConditionExpression, names, values).holds(current))
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    const item: Item = structuredClone(current ?? (input.Key as Item));
    applyUpdate(item, input.UpdateExpression ?? '', names, values);
    this.items.set(id, item);
    return { $metadata: {} };
  }

  private keyOf(key: Item | undefined): string {
    const value = key?.[this.partitionKey]?.S;
    if (value === undefined || Object.keys(key ?? {}).length !== 1) throw new Error('ValidationException: wrong key');
    return value;
  }
}

function resolve(token: string, names: Record<string, string>): string {
  if (!token.startsWith('#')) return token;
  const name = names[token];
  if (name === undefined) throw new Error(`ValidationException: undefined name ${token}`);
  return name;
}

function attributeValue(token: string, values: Item): AttributeValue {
  const value = values[token];
  if (value === undefined) throw new Error(`ValidationException: undefined value ${token}`);
  return value;
}

function applyUpdate(item: Item, expression: string, names: Record<string, string>, values: Item): void {
  const clauses = expression.split(/\b(SET|REMOVE)\b/).map((part) => part.trim());
  for (let i = 1; i < clauses.length; i += 2) {
    const body = clauses[i + 1] ?? '';
    for (const action of body.split(',').map((part) => part.trim())) {
      if (clauses[i] === 'REMOVE') delete item[resolve(action, names)];
      else {
        const [path, value] = action.split('=').map((part) => part.trim());
        item[resolve(path ?? '', names)] = attributeValue(value ?? '', values);
      }
    }
  }
}

/** A recursive-descent reader of the condition subset. */
class Condition {
  private readonly tokens: string[];
  private at = 0;

  constructor(
    expression: string,
    private readonly names: Record<string, string>,
    private readonly values: Item,
  ) {
    this.tokens = expression.match(/\(|\)|<>|<=|>=|=|<|>|[#:]?[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  }

  holds(item: Item | undefined): boolean {
    this.at = 0;
    const result = this.or(item ?? {});
    if (this.at !== this.tokens.length) throw new Error(`ValidationException: cannot parse near ${this.tokens[this.at]}`);
    return result;
  }

  private or(item: Item): boolean {
    let result = this.and(item);
    while (this.tokens[this.at] === 'OR') {
      this.at++;
      result = this.and(item) || result;
    }
    return result;
  }

  private and(item: Item): boolean {
    let result = this.factor(item);
    while (this.tokens[this.at] === 'AND') {
      this.at++;
      result = this.factor(item) && result;
    }
    return result;
  }

  private factor(item: Item): boolean {
    const token = this.next();
    if (token === '(') {
      const result = this.or(item);
      this.expect(')');
      return result;
    }
    if (token === 'attribute_exists' || token === 'attribute_not_exists') {
      this.expect('(');
      const present = resolve(this.next(), this.names) in item;
      this.expect(')');
      return token === 'attribute_exists' ? present : !present;
    }
    const left = this.operand(token, item);
    const op = this.next();
    const right = this.operand(this.next(), item);
    if (left === undefined || right === undefined) return false;
    switch (op) {
      case '=':
        return left === right;
      case '<>':
        return left !== right;
      case '<':
        return left < right;
      case '<=':
        return left <= right;
      case '>':
        return left > right;
      case '>=':
        return left >= right;
      default:
        throw new Error(`ValidationException: unknown operator ${op}`);
    }
  }

  private operand(token: string, item: Item): string | number | undefined {
    const value = token.startsWith(':') ? attributeValue(token, this.values) : item[resolve(token, this.names)];
    if (value === undefined) return undefined;
    if (value.N !== undefined) return Number(value.N);
    if (value.S !== undefined) return value.S;
    throw new Error('ValidationException: only N and S compare');
  }

  private next(): string {
    const token = this.tokens[this.at++];
    if (token === undefined) throw new Error('ValidationException: unexpected end of condition');
    return token;
  }

  private expect(token: string): void {
    if (this.next() !== token) throw new Error(`ValidationException: expected ${token}`);
  }
}
