// Outcomes a test waits for.

/** The error `promise` rejects with; fails the test when it resolves. */
export const rejectionOf = async <E = Error>(promise: Promise<unknown>): Promise<E> => {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection');
};
