/** `t.ok(...near(got, want, tol, msg))`: a tolerance check whose message shows both values. */
export const near = (got: number, want: number, tol: number, msg: string): [boolean, string] => [
  Math.abs(got - want) <= tol,
  `${msg}: got ${got}, want ${want} ± ${tol}`,
];
