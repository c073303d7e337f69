/** Response bodies in tests are asserted field by field, so they are typed loosely on purpose. */
export async function json(res: Response): Promise<any> {
  return res.json();
}
