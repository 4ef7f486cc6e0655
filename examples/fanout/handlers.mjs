/** Upper-cases one word; the map node calls it once per item, two at a time. */
export async function upper(word, ctx) {
  ctx.log.info(`upper-casing ${word}`);
  await new Promise((r) => setTimeout(r, 5));
  return String(word).toUpperCase();
}
