export function bookHotel() {
  return { hotel: 'H-42' };
}

/** No seats: fails on every attempt. */
export function bookFlight() {
  throw Object.assign(new Error('no seats left'), { code: 'NO_SEATS' });
}

export function cancelHotel(input) {
  return { cancelled: input.booking.hotel, because: input.error.code };
}
