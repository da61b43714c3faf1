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

/** The error `run` throws, which must be a `type`; fails the test when it returns or throws another. */
export const thrownBy = <E extends Error>(
  run: () => unknown,
  type: abstract new (...args: never[]) => E,
): E => {
  try {
    run();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}`);
};
