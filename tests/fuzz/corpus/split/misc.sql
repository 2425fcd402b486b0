select U&'d\0061t'; select e'\x41'; select $1, $a$;$a$; ;;; 
