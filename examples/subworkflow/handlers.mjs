export function hello(input) {
  return `hello, ${input.name}`;
}
