"""The public board 公开栏 and the party members' commitment board 党员公开承诺榜."""
