// The pure domain of Jifen: the retail-chain program's rules as functions of state and command.
export {};
