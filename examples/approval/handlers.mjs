export function checkExpense(input) {
  return { amount: input.amount, ok: input.amount > 0 };
}

export function pay(input) {
  return { paid: true, decidedBy: input.approve.by };
}

export function notifyRejected(input) {
  return { notified: true, reason: input.approve.reason };
}
