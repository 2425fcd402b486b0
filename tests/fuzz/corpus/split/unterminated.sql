select 'unterminated;
